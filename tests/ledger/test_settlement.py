"""Settlement: the holding period, netting, the minimum, idempotent runs, failed transfers, the
worker's schedule and the CLI's bad input."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app as cli
from core.ledger.balances import balance, provider_balances
from core.ledger.settlement import due_day, settle
from tests.factories import NOW
from tests.ledger.conftest import Books, journal_count, unbalanced_journals

pytestmark = pytest.mark.db
TOO_EARLY = date(2026, 3, 17)
"""A week after NOW's local midnight: a capture at NOW is still within 7 days."""
DUE = date(2026, 3, 18)


class Recording:
    identifier = "recording"

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail = fail

    async def pay(self, **transfer: Any) -> str:
        self.calls.append(transfer)
        if self.fail:
            raise RuntimeError("bank said no")
        return f"T-{len(self.calls)}"


async def test_earnings_wait_for_the_holding_period(jiejia: Books) -> None:
    await jiejia.capture(10_000)

    early = await settle(jiejia.tenant, jiejia.tenant_id, TOO_EARLY, now=NOW)
    assert [p.status for p in early.providers] == ["skipped"]
    assert await jiejia.payable() == 8_200

    due = await settle(jiejia.tenant, jiejia.tenant_id, DUE, now=NOW)
    assert [(p.paid, p.status) for p in due.providers] == [(8_200, "paid")]
    assert due.providers[0].reference.startswith("DEMO-")
    assert await jiejia.payable() == 0
    assert await balance(jiejia.tenant_id, "payouts") == -8_200


async def test_a_period_is_settled_once(jiejia: Books) -> None:
    await jiejia.capture(10_000)
    adapter = Recording()

    first = await settle(jiejia.tenant, jiejia.tenant_id, DUE, now=NOW, adapter=adapter)
    await jiejia.capture(5_000, at=NOW - timedelta(days=30))
    again = await settle(jiejia.tenant, jiejia.tenant_id, DUE, now=NOW, adapter=adapter)

    assert again.repeated and not first.repeated
    assert len(adapter.calls) == 1
    assert await journal_count("payout") == 1
    assert [p.paid for p in again.providers] == [8_200]


async def test_cash_collected_is_netted_before_paying(jiejia: Books) -> None:
    at = NOW - timedelta(days=10)
    await jiejia.capture(10_000, at=at)  # owed 8200 to the provider
    await jiejia.capture(5_000, method="cash", at=at)  # the provider holds 5000, earned 4100

    result = await settle(jiejia.tenant, jiejia.tenant_id, DUE, now=NOW)

    line = result.providers[0]
    assert (line.available, line.netted, line.paid) == (12_300, 5_000, 7_300)
    found = await provider_balances(jiejia.tenant_id, jiejia.provider)
    assert (found.payable, found.cash_owed) == (0, 0)
    assert await unbalanced_journals() == []


async def test_a_refund_after_the_cutoff_is_taken_off_first(jiejia: Books) -> None:
    payment, _ = await jiejia.capture(10_000, at=NOW - timedelta(days=10))
    await jiejia.refund(payment, 5_000, at=NOW + timedelta(days=5))

    result = await settle(jiejia.tenant, jiejia.tenant_id, DUE, now=NOW)

    assert result.providers[0].paid == 4_100


async def test_small_balances_wait(jiejia: Books) -> None:
    await jiejia.capture(100, at=NOW - timedelta(days=10))  # 82 fen < the 100 minimum

    result = await settle(jiejia.tenant, jiejia.tenant_id, DUE, now=NOW)

    assert [p.status for p in result.providers] == ["below_minimum"]
    assert await jiejia.payable() == 82


async def test_a_failed_transfer_is_reversed_and_paid_next_time(jiejia: Books) -> None:
    await jiejia.capture(10_000, at=NOW - timedelta(days=10))

    failed = await settle(jiejia.tenant, jiejia.tenant_id, DUE, now=NOW, adapter=Recording(True))

    assert [p.status for p in failed.providers] == ["failed"]
    assert await jiejia.payable() == 8_200
    later = await settle(jiejia.tenant, jiejia.tenant_id, DUE + timedelta(days=7), now=NOW)
    assert [(p.paid, p.status) for p in later.providers] == [(8_200, "paid")]
    assert await jiejia.payable() == 0


def test_the_worker_settles_on_the_policy_weekday_after_the_hour(tenants: Any) -> None:
    jiejia = tenants.get("jiejia")
    monday_early = datetime.fromisoformat("2026-03-16T01:30:00+08:00")
    monday_late = datetime.fromisoformat("2026-03-16T02:30:00+08:00")
    tuesday = datetime.fromisoformat("2026-03-17T09:00:00+08:00")

    assert due_day(jiejia, monday_early) is None
    assert due_day(jiejia, monday_late) == date(2026, 3, 16)
    assert due_day(jiejia, tuesday) is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["settle", "--tenant", "nobody"], "--tenant nobody: no such tenant"),
        (["settle", "--tenant", "jiejia", "--date", "17/03/2026"], "--date 17/03/2026"),
    ],
)
def test_settle_cli_bad_input_exits_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, args)

    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
