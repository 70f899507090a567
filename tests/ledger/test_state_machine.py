"""The ledger as a state machine: pay, refund in full, refund in part, pay out (settlement) and
reverse, in any order. After every step: every journal balances, no provider's payable or
deposit is below zero, no payment is refunded beyond its captures (and the books agree with a
plain model of what was paid and refunded). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Coroutine
from datetime import date, timedelta
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from core.ledger.balances import provider_balances
from core.ledger.chart import LedgerError
from core.ledger.corrections import reverse_journal
from core.ledger.payment_postings import RefundExceedsCapture, payment_summary
from core.ledger.provider_postings import post_bonus
from core.ledger.settlement import settle
from tests.factories import NOW
from tests.ledger.conftest import Books, unbalanced_journals

pytestmark = pytest.mark.db
T = TypeVar("T")
SETTLEMENT_DAYS = (date(2026, 4, 1) + timedelta(days=n) for n in itertools.count())
"""Each payout step settles a new date (a date settles once), all past the holding period."""


def machine_for(books: Books, loop: asyncio.AbstractEventLoop) -> type[RuleBasedStateMachine]:
    def run(coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)

    class LedgerMachine(RuleBasedStateMachine):
        payments = Bundle("payments")
        bonuses = Bundle("bonuses")

        def __init__(self) -> None:
            super().__init__()
            self.providers = [str(uuid.uuid4()), str(uuid.uuid4())]
            self.paid: dict[str, int] = {}
            self.refunded: dict[str, int] = {}

        @rule(
            target=payments,
            amount=st.integers(min_value=1, max_value=50_000),
            who=st.integers(0, 1),
            method=st.sampled_from(["wechat", "alipay", "cash"]),
        )
        def pay(self, amount: int, who: int, method: str) -> tuple[str, str, str]:
            payment, _ = run(books.capture(amount, method=method, provider=self.providers[who]))
            self.paid[payment] = amount
            self.refunded[payment] = 0
            return payment, self.providers[who], method

        def _refund(self, payment: tuple[str, str, str], amount: int) -> None:
            pid, provider, method = payment
            left = self.paid[pid] - self.refunded[pid]
            try:
                run(books.refund(pid, amount, method=method, provider=provider))
            except RefundExceedsCapture as refused:
                assert amount > left and refused.refundable == left
                return
            assert amount <= left
            self.refunded[pid] += amount

        @rule(payment=payments)
        def refund_in_full(self, payment: tuple[str, str, str]) -> None:
            left = self.paid[payment[0]] - self.refunded[payment[0]]
            if left:
                self._refund(payment, left)

        @rule(payment=payments, amount=st.integers(min_value=1, max_value=60_000))
        def refund_in_part(self, payment: tuple[str, str, str], amount: int) -> None:
            self._refund(payment, amount)

        @rule(target=bonuses, who=st.integers(0, 1), amount=st.integers(1, 5_000))
        def bonus(self, who: int, amount: int) -> uuid.UUID:
            return run(
                post_bonus(
                    books.tenant,
                    books.tenant_id,
                    provider_id=self.providers[who],
                    amount_fen=amount,
                    reason="test",
                    at=NOW,
                    event_key=str(uuid.uuid4()),
                )
            )

        @rule()
        def payout(self) -> None:
            run(settle(books.tenant, books.tenant_id, next(SETTLEMENT_DAYS), now=NOW))

        @rule(journal=consumes(bonuses))
        def reverse(self, journal: uuid.UUID) -> None:
            try:
                run(
                    reverse_journal(
                        books.tenant, books.tenant_id, journal_id=journal, reason="test", at=NOW
                    )
                )
            except LedgerError as refused:
                assert "below zero" in refused.reason

        @invariant()
        def every_journal_balances(self) -> None:
            assert run(unbalanced_journals()) == []

        @invariant()
        def no_provider_below_zero(self) -> None:
            for provider in self.providers:
                found = run(provider_balances(books.tenant_id, provider))
                assert found.payable >= 0 and found.deposit >= 0, found

        @invariant()
        def refunds_never_exceed_captures(self) -> None:
            for pid, amount in self.paid.items():
                summary = run(payment_summary(books.tenant_id, pid))
                assert summary.captured == amount
                assert summary.refunded == self.refunded[pid] <= amount

    return LedgerMachine


async def test_the_books_hold_under_any_sequence(jiejia: Books) -> None:
    machine = machine_for(jiejia, asyncio.get_running_loop())
    budget = settings(
        max_examples=12,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )

    await asyncio.to_thread(run_state_machine_as_test, machine, settings=budget)
