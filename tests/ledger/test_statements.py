"""Statements (provider: HTML/CSV/PDF numbers; platform) and reconciliation differences."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from core.ledger.exports import statement_csv, statement_pdf
from core.ledger.provider_postings import post_penalty
from core.ledger.reconcile import GatewayRecord, reconcile
from core.ledger.settlement import settle
from core.ledger.statements import platform_statement, provider_statement
from tests.factories import NOW
from tests.ledger.conftest import Books

pytestmark = pytest.mark.db
START, END = NOW - timedelta(days=20), NOW + timedelta(days=20)


async def _month(jiejia: Books) -> dict[str, str]:
    """Two bookings (one partly refunded, with a gateway fee) and a penalty; returns ids."""
    first, booking1 = await jiejia.capture(10_000, at=NOW - timedelta(days=10), fee_fen=60)
    second, booking2 = await jiejia.capture(20_000, at=NOW - timedelta(days=9))
    await jiejia.refund(second, 5_000, at=NOW - timedelta(days=8))
    await post_penalty(
        jiejia.tenant,
        jiejia.tenant_id,
        provider_id=jiejia.provider,
        amount_fen=300,
        reason="late",
        at=NOW - timedelta(days=8),
        event_key="pen:1",
        booking_id=booking2,
    )
    return {"first": first, "second": second, "booking1": booking1, "booking2": booking2}


async def test_provider_statement_lists_every_booking(jiejia: Books) -> None:
    ids = await _month(jiejia)
    await settle(jiejia.tenant, jiejia.tenant_id, NOW.date() + timedelta(days=1), now=NOW)

    found = await provider_statement(jiejia.tenant_id, jiejia.provider, START, END)

    lines = {line.booking_id: line for line in found.lines}
    one, two = lines[ids["booking1"]], lines[ids["booking2"]]
    assert (one.gross, one.commission, one.fees, one.adjustments, one.net) == (
        10_000,
        1_800,
        60,
        0,
        8_140,
    )
    assert (two.gross, two.commission, two.fees, two.adjustments, two.net) == (
        15_000,
        2_700,
        0,
        -300,
        12_000,
    )
    assert found.totals.net == 20_140
    assert found.paid_out == 20_140
    assert found.payable_at_end == 0


async def test_statement_csv_and_pdf(jiejia: Books) -> None:
    ids = await _month(jiejia)
    found = await provider_statement(jiejia.tenant_id, jiejia.provider, START, END)

    rows = list(csv.reader(io.StringIO(statement_csv(found, "Asia/Shanghai"))))
    assert rows[0] == ["booking", "date", "gross", "commission", "fees", "adjustments", "net"]
    assert [ids["booking1"], "2026-02-28", "100.00", "18.00", "0.60", "0.00", "81.40"] in rows
    assert rows[-1] == ["total", "", "250.00", "45.00", "0.60", "-3.00", "201.40"]
    pdf = statement_pdf(
        found, brand="洁家到家", provider_name="王师傅", timezone="Asia/Shanghai", currency="CNY"
    )
    assert pdf.startswith(b"%PDF") and len(pdf) > 2_000


async def test_platform_statement(jiejia: Books) -> None:
    await _month(jiejia)

    found = await platform_statement(jiejia.tenant_id, START, END)

    assert (found.captured, found.refunded, found.commission, found.penalties) == (
        30_000,
        5_000,
        4_500,
        300,
    )
    assert found.by_vertical["housekeeping"] == {
        "captured": 30_000,
        "refunded": 5_000,
        "commission": 4_500,
    }
    assert found.providers_payable == 20_140
    assert found.balances_at_end["gateway_clearing:wechat"] == 30_000 - 60 - 5_000


async def test_reconciliation_lists_every_difference(jiejia: Books) -> None:
    ids = await _month(jiejia)
    cash, _ = await jiejia.capture(700, method="cash")
    gateway = [
        GatewayRecord(ids["first"], 10_000, "capture"),
        GatewayRecord(ids["second"], 20_000, "capture"),
        GatewayRecord(ids["second"], 4_000, "refund"),  # the books say 5000
        GatewayRecord("unknown-order", 1_234, "capture"),
    ]

    found = await reconcile(jiejia.tenant_id, gateway, START, END)

    assert found.matched == 2
    assert [(d.reference, d.kind, d.problem, d.gap_fen) for d in found.differences] == [
        (ids["second"], "refund", "amount_mismatch", -1_000),
        ("unknown-order", "capture", "missing_in_ledger", 1_234),
    ]
    assert cash not in {d.reference for d in found.differences}

    missing = await reconcile(jiejia.tenant_id, gateway[1:3], START, END)
    assert (ids["first"], "missing_at_gateway") in {
        (d.reference, d.problem) for d in missing.differences
    }
