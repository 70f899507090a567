"""Money remedies of a complaint and rewards: compensation from the provider's deposit and the
excellent providers' bonus through the ledger (``core.ledger.provider_postings``, event keys
make every post happen once), and the refund to the original payment method (``core.payments``).

The refund goes through ``core.payments.refunds.refund_booking`` (no request needed; one
refund per key, however often it is retried). It waits (``awaiting_payments``) while nothing
of the booking is captured yet or the gateway has not answered; the worker's
``settle_awaiting`` tries again: nothing granted is lost. A refund the gateway or the payment
refuses is ``refund_refused``: staff see it on the complaint, nothing is retried blindly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

AWAITING_LEDGER = "awaiting_ledger"
AWAITING_PAYMENTS = "awaiting_payments"
DONE = "done"
LEDGER_REFUSED = "ledger_refused"
REFUND_REFUSED = "refund_refused"


async def refund(
    tenant: Any,
    tenant_id: str,
    booking_id: str,
    amount_fen: int,
    currency: str,
    key: str,
    now: datetime | None = None,
) -> str:
    """Refund the booking's payment to its original method up to ``amount_fen`` in all for the
    complaint (once per key; a complaint reopened and granted more refunds the difference)."""
    from core.payments.refunds import refund_booking
    from core.payments.service import PaymentError

    complaint = key.split(":refund:", 1)[0]  # "complaint:<id>", the refunds' common reason
    try:
        row = await refund_booking(
            tenant,
            tenant_id,
            booking_id,
            amount_fen,
            key=key,
            reason=complaint,
            now=now or datetime.now(UTC),
            cumulative=True,
        )
    except PaymentError as exc:
        return AWAITING_PAYMENTS if exc.field == "booking" else REFUND_REFUSED
    if row["status"] == "succeeded":
        return DONE
    return AWAITING_PAYMENTS if row["status"] == "pending" else REFUND_REFUSED


async def compensate(
    tenant: Any,
    tenant_id: str,
    provider_id: str,
    booking_id: str,
    amount_fen: int,
    currency: str,
    key: str,
    now: datetime | None = None,
) -> str:
    """Compensation to the customer taken from the provider's deposit (the ledger's
    ``compensate_from_deposit``), ``amount_fen`` in all for the complaint: a complaint reopened
    and granted more takes only the difference. ``key`` ends with that total
    (``...:compensation:<fen>``), so the largest total already posted under the key's prefix
    is what was taken before. A deposit too small, or another refusal of the ledger, is
    ``ledger_refused``: staff see it on the complaint, nothing is retried blindly."""
    from core.ledger.chart import LedgerError
    from core.ledger.provider_postings import compensate_from_deposit

    prefix = key.rsplit(":", 1)[0] + ":"
    taken = await _largest_total_posted(tenant_id, prefix)
    if taken >= amount_fen:
        return DONE
    try:
        await compensate_from_deposit(
            tenant,
            tenant_id,
            provider_id=provider_id,
            booking_id=booking_id,
            amount_fen=amount_fen - taken,
            reason="complaint compensation",
            at=now or datetime.now(UTC),
            event_key=key,
        )
    except LedgerError:
        return LEDGER_REFUSED
    return DONE


async def _largest_total_posted(tenant_id: str, prefix: str) -> int:
    from core.ledger.tables import LedgerJournal
    from core.tenancy.scoped import scoped

    rows = await (
        scoped(LedgerJournal, tenant_id)
        .select(LedgerJournal.event_key)
        .where(LedgerJournal.event_key.like(prefix + "%"))
    )
    totals = [str(r["event_key"]).rsplit(":", 1)[1] for r in rows]
    return max((int(t) for t in totals if t.isdigit()), default=0)


async def bonus(
    tenant: Any,
    tenant_id: str,
    provider_id: str,
    amount_fen: int,
    currency: str,
    key: str,
    now: datetime | None = None,
) -> str:
    """A reward bonus for the provider (the ledger's ``post_bonus``; the key posts it once)."""
    from core.ledger.chart import LedgerError
    from core.ledger.provider_postings import post_bonus

    try:
        await post_bonus(
            tenant,
            tenant_id,
            provider_id=provider_id,
            amount_fen=amount_fen,
            reason="excellent provider bonus",
            at=now or datetime.now(UTC),
            event_key=key,
        )
    except LedgerError:
        return LEDGER_REFUSED
    return DONE
