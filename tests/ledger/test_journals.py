"""The books: balanced journals, exactly once, commission split, refunds never above captures,
deposits, penalties, reversals."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from core.db import write_transaction
from core.ledger.balances import balance, provider_balances
from core.ledger.chart import LedgerError
from core.ledger.corrections import reverse_journal
from core.ledger.payment_postings import RefundExceedsCapture, payment_summary, record_capture
from core.ledger.provider_postings import (
    InsufficientDeposit,
    compensate_from_deposit,
    pay_compensation,
    post_bonus,
    post_penalty,
    record_deposit,
)
from core.ledger.service import post_journal
from core.tenancy.scoped import tenant_transaction
from tests.factories import NOW
from tests.ledger.conftest import Books, journal_count, unbalanced_journals

pytestmark = pytest.mark.db


async def test_a_capture_splits_commission_from_the_tenant_yaml(jiejia: Books) -> None:
    await jiejia.capture(12_345)

    assert await balance(jiejia.tenant_id, "gateway_clearing:wechat") == 12_345
    assert await balance(jiejia.tenant_id, "platform_commission") == 2_222  # 18 %
    assert await jiejia.payable() == 12_345 - 2_222
    assert await unbalanced_journals() == []


async def test_commission_per_vertical(wanjia: Books) -> None:
    await wanjia.capture(10_000, vertical="locksmith")
    await wanjia.capture(10_000, vertical="repair")

    assert await balance(wanjia.tenant_id, "platform_commission") == 2_000 + 1_500


async def test_cash_is_owed_by_the_provider(jiejia: Books) -> None:
    await jiejia.capture(10_000, method="cash")

    found = await provider_balances(jiejia.tenant_id, jiejia.provider)
    assert (found.payable, found.cash_owed, found.net) == (8_200, 10_000, -1_800)


async def test_an_unbalanced_journal_writes_nothing(jiejia: Books) -> None:
    with pytest.raises(LedgerError) as refused:
        await post_journal(
            jiejia.tenant_id,
            "manual",
            [("gateway_clearing:wechat", 100), ("platform_commission", -90)],
            ref="test",
            at=NOW,
        )

    assert refused.value.field == "lines"
    assert await journal_count() == 0


async def test_a_naive_time_is_refused(jiejia: Books) -> None:
    with pytest.raises(LedgerError) as refused:
        await post_journal(
            jiejia.tenant_id,
            "manual",
            [("gateway_clearing:wechat", 1), ("platform_commission", -1)],
            ref="test",
            at=NOW.replace(tzinfo=None),
        )
    assert refused.value.field == "at"


async def test_the_same_event_key_posts_once(jiejia: Books) -> None:
    lines = [("gateway_clearing:alipay", 500), ("platform_commission", -500)]
    first = await post_journal(jiejia.tenant_id, "manual", lines, ref="x", event_key="k1", at=NOW)
    again = await post_journal(jiejia.tenant_id, "manual", lines, ref="x", event_key="k1", at=NOW)

    assert first == again
    assert await balance(jiejia.tenant_id, "platform_commission") == 500


async def test_fifty_concurrent_captures_with_one_key_credit_once(jiejia: Books) -> None:
    payment, booking = str(uuid.uuid4()), str(uuid.uuid4())

    async def capture() -> uuid.UUID:
        return await record_capture(
            jiejia.tenant,
            jiejia.tenant_id,
            payment_id=payment,
            booking_id=booking,
            provider_id=jiejia.provider,
            vertical="housekeeping",
            amount_fen=9_900,
            method="wechat",
            at=NOW,
            event_key="wechat:notify:4200001234",
        )

    ids = await asyncio.gather(*(capture() for _ in range(50)))

    assert len(set(ids)) == 1
    assert await journal_count("capture") == 1
    assert await balance(jiejia.tenant_id, "gateway_clearing:wechat") == 9_900


async def test_posting_joins_the_callers_write_transaction(jiejia: Books) -> None:
    """The payments code posts inside its own transaction: a failure after the post rolls the
    journal back with the payment's change."""
    with pytest.raises(RuntimeError):
        async with tenant_transaction(jiejia.tenant_id), write_transaction():
            await jiejia.capture(1_000)
            raise RuntimeError("the payment's own update failed")

    assert await balance(jiejia.tenant_id, "gateway_clearing:wechat") == 0

    async with tenant_transaction(jiejia.tenant_id), write_transaction():
        await jiejia.capture(1_000)
    assert await balance(jiejia.tenant_id, "gateway_clearing:wechat") == 1_000


async def test_partial_refunds_give_back_exactly_what_the_capture_took(jiejia: Books) -> None:
    payment, _ = await jiejia.capture(10_001)
    for amount in (3_333, 3_333, 3_335):
        await jiejia.refund(payment, amount)

    assert await balance(jiejia.tenant_id, "platform_commission") == 0
    assert await jiejia.payable() == 0
    assert await balance(jiejia.tenant_id, "gateway_clearing:wechat") == 0
    summary = await payment_summary(jiejia.tenant_id, payment)
    assert (summary.captured, summary.refunded, summary.refundable) == (10_001, 10_001, 0)
    assert await unbalanced_journals() == []


async def test_a_refund_above_what_is_left_is_refused(jiejia: Books) -> None:
    payment, _ = await jiejia.capture(5_000)
    await jiejia.refund(payment, 4_000)

    with pytest.raises(RefundExceedsCapture) as refused:
        await jiejia.refund(payment, 1_001)

    assert refused.value.field == "amount_fen"
    assert refused.value.refundable == 1_000
    assert await journal_count("refund") == 1


async def test_concurrent_refunds_never_exceed_the_capture(jiejia: Books) -> None:
    payment, _ = await jiejia.capture(10_000)

    results = await asyncio.gather(
        *(jiejia.refund(payment, 3_000) for _ in range(6)), return_exceptions=True
    )

    refused = [r for r in results if isinstance(r, RefundExceedsCapture)]
    assert len(refused) == 3
    summary = await payment_summary(jiejia.tenant_id, payment)
    assert summary.refunded == 9_000


async def test_refunds_go_back_to_the_original_method(jiejia: Books) -> None:
    payment, _ = await jiejia.capture(5_000, method="alipay")

    with pytest.raises(LedgerError) as refused:
        await jiejia.refund(payment, 100, method="wechat")
    assert refused.value.field == "method"


async def test_a_refund_after_payout_leaves_the_provider_owing(jiejia: Books) -> None:
    payment, _ = await jiejia.capture(10_000)
    await post_journal(
        jiejia.tenant_id,
        "payout",
        [(f"provider_payable:{jiejia.provider}", 8_200), ("payouts", -8_200)],
        ref="test",
        provider_id=jiejia.provider,
        at=NOW,
    )

    await jiejia.refund(payment, 10_000)

    found = await provider_balances(jiejia.tenant_id, jiejia.provider)
    assert (found.payable, found.receivable) == (0, 8_200)


async def test_compensation_comes_out_of_the_deposit(jiejia: Books) -> None:
    await record_deposit(
        jiejia.tenant,
        jiejia.tenant_id,
        provider_id=jiejia.provider,
        amount_fen=50_000,
        method="wechat",
        at=NOW,
        event_key="deposit:1",
    )
    booking = str(uuid.uuid4())

    await compensate_from_deposit(
        jiejia.tenant,
        jiejia.tenant_id,
        provider_id=jiejia.provider,
        booking_id=booking,
        amount_fen=20_000,
        reason="broken vase",
        at=NOW,
        event_key="comp:1",
    )
    with pytest.raises(InsufficientDeposit) as refused:
        await compensate_from_deposit(
            jiejia.tenant,
            jiejia.tenant_id,
            provider_id=jiejia.provider,
            booking_id=booking,
            amount_fen=30_001,
            reason="more",
            at=NOW,
            event_key="comp:2",
        )

    assert refused.value.deposit == 30_000
    assert (await provider_balances(jiejia.tenant_id, jiejia.provider)).deposit == 30_000
    assert await balance(jiejia.tenant_id, "refunds") == 20_000
    await pay_compensation(
        jiejia.tenant,
        jiejia.tenant_id,
        booking_id=booking,
        amount_fen=20_000,
        method="wechat",
        at=NOW,
        event_key="comp:1:paid",
    )
    assert await balance(jiejia.tenant_id, "refunds") == 0


async def test_a_penalty_beyond_the_payable_becomes_a_receivable(jiejia: Books) -> None:
    await jiejia.capture(1_000)  # 820 payable

    await post_penalty(
        jiejia.tenant,
        jiejia.tenant_id,
        provider_id=jiejia.provider,
        amount_fen=1_000,
        reason="no-show",
        at=NOW,
        event_key="pen:1",
    )

    found = await provider_balances(jiejia.tenant_id, jiejia.provider)
    assert (found.payable, found.receivable) == (0, 180)
    assert await balance(jiejia.tenant_id, "penalties") == 1_000


async def test_a_reversal_cancels_a_journal_once(jiejia: Books) -> None:
    bonus = await post_bonus(
        jiejia.tenant,
        jiejia.tenant_id,
        provider_id=jiejia.provider,
        amount_fen=500,
        reason="five stars",
        at=NOW,
        event_key="bonus:1",
    )

    reversal = await reverse_journal(
        jiejia.tenant, jiejia.tenant_id, journal_id=bonus, reason="granted twice", at=NOW
    )
    assert await jiejia.payable() == 0
    with pytest.raises(LedgerError):
        await reverse_journal(
            jiejia.tenant, jiejia.tenant_id, journal_id=reversal, reason="undo", at=NOW
        )
    again = await reverse_journal(
        jiejia.tenant, jiejia.tenant_id, journal_id=bonus, reason="granted twice", at=NOW
    )
    assert again == reversal
    assert await journal_count("reversal") == 1


async def test_a_reversal_never_takes_a_provider_below_zero(jiejia: Books) -> None:
    bonus = await post_bonus(
        jiejia.tenant,
        jiejia.tenant_id,
        provider_id=jiejia.provider,
        amount_fen=500,
        reason="five stars",
        at=NOW,
        event_key="bonus:1",
    )
    await post_penalty(
        jiejia.tenant,
        jiejia.tenant_id,
        provider_id=jiejia.provider,
        amount_fen=400,
        reason="late",
        at=NOW,
        event_key="pen:1",
    )

    with pytest.raises(LedgerError) as refused:
        await reverse_journal(
            jiejia.tenant, jiejia.tenant_id, journal_id=bonus, reason="oops", at=NOW
        )
    assert "below zero" in refused.value.reason


async def test_a_refunded_capture_is_refunded_not_reversed(jiejia: Books) -> None:
    payment, _ = await jiejia.capture(1_000)
    await jiejia.refund(payment, 100)
    summary_before = await payment_summary(jiejia.tenant_id, payment)
    from core.ledger.tables import LedgerJournal
    from core.tenancy.scoped import scoped

    async with tenant_transaction(jiejia.tenant_id):
        capture = (
            await scoped(LedgerJournal, jiejia.tenant_id)
            .select(LedgerJournal.id)
            .where(LedgerJournal.kind == "capture")
            .first()
        )
    assert capture is not None

    with pytest.raises(LedgerError) as refused:
        await reverse_journal(
            jiejia.tenant, jiejia.tenant_id, journal_id=capture["id"], reason="x", at=NOW
        )
    assert "refund" in refused.value.reason
    assert await payment_summary(jiejia.tenant_id, payment) == summary_before


async def test_one_tenants_books_are_not_anothers(jiejia: Books, wanjia: Books) -> None:
    await jiejia.capture(1_000)

    assert await balance(wanjia.tenant_id, "gateway_clearing:wechat") == 0
    assert await balance(jiejia.tenant_id, "gateway_clearing:wechat") == 1_000
