"""The chart of accounts and the one rounding rule (no database)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.ledger.chart import (
    LedgerError,
    check_lines,
    commission_split,
    split_largest_remainder,
)

weights = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=8).filter(
    lambda ws: sum(ws) > 0
)


@given(total=st.integers(min_value=-(10**9), max_value=10**9), weights=weights)
def test_largest_remainder_parts_always_sum_to_the_total(total: int, weights: list[int]) -> None:
    parts = split_largest_remainder(total, weights)

    assert sum(parts) == total
    assert len(parts) == len(weights)


@given(total=st.integers(min_value=0, max_value=10**9), weights=weights)
def test_each_part_is_within_one_fen_of_its_exact_share(total: int, weights: list[int]) -> None:
    parts = split_largest_remainder(total, weights)

    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, sum(weights))
        assert exact - 1 < part < exact + 1
        assert part >= 0
        if weight == 0:
            assert part == 0


@given(total=st.integers(min_value=0, max_value=10**8), bps=st.integers(0, 10_000))
def test_commission_and_provider_share_add_up(total: int, bps: int) -> None:
    commission, share = commission_split(total, bps)

    assert commission + share == total
    assert abs(commission * 10_000 - total * bps) <= 10_000


def test_ties_go_to_the_earlier_part() -> None:
    assert split_largest_remainder(1, [1, 1]) == [1, 0]
    assert split_largest_remainder(100, [1, 1, 1]) == [34, 33, 33]
    assert split_largest_remainder(-100, [1, 1, 1]) == [-34, -33, -33]


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1]])
def test_weights_must_be_usable(weights: list[int]) -> None:
    with pytest.raises(LedgerError) as refused:
        split_largest_remainder(10, weights)
    assert refused.value.field == "weights"


def test_a_journal_that_does_not_balance_is_refused() -> None:
    with pytest.raises(LedgerError) as refused:
        check_lines([("gateway_clearing:wechat", 100), ("platform_commission", -99)])

    assert refused.value.field == "lines"
    assert "off by 1 fen" in refused.value.reason


@pytest.mark.parametrize(
    ("account", "reason"),
    [
        ("wallet", "not in the chart"),
        ("provider_payable", "needs a provider"),
        ("provider_payable:not-an-id", "must be an id"),
        ("platform_commission:x", "takes no party"),
        ("gateway_clearing:WeChat Pay", "not a payment method"),
    ],
)
def test_accounts_outside_the_chart_are_refused(account: str, reason: str) -> None:
    with pytest.raises(LedgerError) as refused:
        check_lines([(account, 1), ("platform_commission", -1)])

    assert reason in refused.value.reason


def test_amounts_are_integer_fen() -> None:
    with pytest.raises(LedgerError) as refused:
        check_lines([("payouts", 1.5), ("platform_commission", -1.5)])  # type: ignore[list-item]
    assert refused.value.field == "amount_fen"
