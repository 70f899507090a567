"""Payments in the books: a customer payment captured, refunded in full or in part, and
what the books say about one payment (``PaymentSummary``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.ledger.chart import (
    LedgerError,
    LedgerLine,
    account,
    commission_bps,
    commission_split,
    natural_balance,
    split_largest_remainder,
)
from core.ledger.journal import JournalDraft, post_once, raw_sum, reversed_ids
from core.ledger.service import (
    TenantArg,
    resolve_tenant_id,
    source_account,
    valid_amount,
    valid_provider,
)
from core.ledger.tables import LedgerEntry, LedgerJournal
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, within_tenant


class RefundExceedsCapture(LedgerError):
    """A refund larger than what is left of the payment's captures."""

    def __init__(self, refundable: int) -> None:
        super().__init__("amount_fen", f"more than the {refundable} fen left to refund")
        self.refundable = refundable


async def record_capture(
    tenant: TenantArg,
    tenant_id: Any = None,
    *,
    payment_id: Any,
    booking_id: Any,
    provider_id: Any,
    vertical: str,
    amount_fen: int,
    method: str,
    at: datetime,
    event_key: str,
    fee_fen: int = 0,
) -> uuid.UUID:
    """A customer payment captured: the gateway's clearing account (for cash: what the
    provider owes) against the provider's payable and the platform's commission, split by
    the tenant's rate for ``vertical``. ``fee_fen``: a gateway fee borne by the provider."""
    gross = valid_amount(amount_fen)
    fee = valid_amount(fee_fen, "fee_fen", zero=True)
    if not isinstance(tenant, Tenant):
        raise LedgerError("tenant", "record_capture needs the loaded tenant (commission rates)")
    bps = commission_bps(tenant.config.commission, vertical)
    provider = valid_provider(provider_id)
    source = source_account(method, provider)
    commission, share = commission_split(gross, bps)
    if fee and (method == "cash" or fee > share):
        raise LedgerError("fee_fen", "a fee must come out of a gateway payment's provider share")
    payable = account("provider_payable", provider)
    lines = [
        LedgerLine(source, gross - fee),
        LedgerLine("platform_commission", -commission),
        LedgerLine(payable, -(share - fee)),
    ]
    draft = JournalDraft(
        kind="capture",
        lines=lines,
        ref=f"payment:{payment_id}",
        memo=f"{vertical} {method} fee={fee}",
        amount_fen=gross,
        booking_id=booking_id,
        provider_id=provider,
        payment_id=payment_id,
    )

    async def build(_tid: uuid.UUID) -> JournalDraft:
        return draft

    tid = await resolve_tenant_id(tenant, tenant_id)
    return await post_once(tid, event_key=event_key, at=at, build=build)


@dataclass(frozen=True)
class PaymentSummary:
    captured: int
    refunded: int
    commission: int
    """Commission captured (before refunds)."""
    commission_refunded: int
    source: str | None
    """The account the captures landed in (``gateway_clearing:wechat``...)."""
    booking_id: str | None = None

    @property
    def refundable(self) -> int:
        return self.captured - self.refunded


@within_tenant
async def payment_summary(tenant_id: Any, payment_id: Any) -> PaymentSummary:
    """What the books say about one payment (reversed journals left out)."""
    journals = (
        await scoped(LedgerJournal, tenant_id)
        .select(
            LedgerJournal.id, LedgerJournal.kind, LedgerJournal.amount_fen, LedgerJournal.booking
        )
        .where(LedgerJournal.payment == payment_id)
        .where(LedgerJournal.kind.is_in(["capture", "refund"]))
    )
    gone = await reversed_ids(tenant_id, [row["id"] for row in journals])
    live = {row["id"]: row for row in journals if uuid.UUID(str(row["id"])) not in gone}
    captured = sum(int(r["amount_fen"]) for r in live.values() if r["kind"] == "capture")
    refunded = sum(int(r["amount_fen"]) for r in live.values() if r["kind"] == "refund")
    commission = refunded_commission = 0
    source = None
    if live:
        entries = (
            await scoped(LedgerEntry, tenant_id)
            .select(LedgerEntry.account, LedgerEntry.amount_fen, LedgerEntry.kind)
            .where(LedgerEntry.journal.is_in(list(live)))
        )
        for entry in entries:
            name, amount = entry["account"], int(entry["amount_fen"])
            if name == "platform_commission":
                if entry["kind"] == "capture":
                    commission -= amount
                else:
                    refunded_commission += amount
            elif entry["kind"] == "capture" and amount > 0 and not name.startswith("provider_"):
                source = name
    booking = next((str(r["booking"]) for r in live.values() if r["booking"] is not None), None)
    return PaymentSummary(captured, refunded, commission, refunded_commission, source, booking)


async def record_refund(
    tenant: TenantArg,
    tenant_id: Any = None,
    *,
    payment_id: Any,
    booking_id: Any,
    provider_id: Any,
    vertical: str,
    amount_fen: int,
    method: str,
    at: datetime,
    event_key: str,
) -> uuid.UUID:
    """A refund (full or partial) back to the payment's method: commission and provider share
    are given back in proportion, cumulatively by largest remainder, so a payment refunded in
    full gives back exactly what its capture took. Never more than captured and not yet
    refunded (``RefundExceedsCapture``). A provider share the payable no longer covers (paid
    out already) becomes ``provider_receivable``, recovered at the next settlement."""
    amount = valid_amount(amount_fen)
    provider = valid_provider(provider_id)
    source = source_account(method, provider)
    payable = account("provider_payable", provider)

    async def build(tid: uuid.UUID) -> JournalDraft:
        summary = await payment_summary(tid, payment_id)
        if amount > summary.refundable:
            raise RefundExceedsCapture(summary.refundable)
        if summary.source is not None and summary.source != source:
            raise LedgerError("method", f"refunds go back to the original method ({method})")
        done = summary.refunded + amount
        commission_then = split_largest_remainder(
            done, [summary.commission, summary.captured - summary.commission]
        )[0]
        commission = commission_then - summary.commission_refunded
        share = amount - commission
        covered = min(share, max(0, natural_balance(payable, await raw_sum(tid, payable))))
        lines = [
            LedgerLine(source, -amount),
            LedgerLine("platform_commission", commission),
            LedgerLine(payable, covered),
            LedgerLine(account("provider_receivable", provider), share - covered),
        ]
        return JournalDraft(
            kind="refund",
            lines=lines,
            ref=f"payment:{payment_id}",
            memo=f"{vertical} {method}",
            amount_fen=amount,
            booking_id=booking_id or summary.booking_id,
            provider_id=provider,
            payment_id=payment_id,
        )

    tid = await resolve_tenant_id(tenant, tenant_id)
    return await post_once(
        tid,
        event_key=event_key,
        at=at,
        build=build,
        locks=[f"payment:{payment_id}", f"provider:{provider}"],
    )
