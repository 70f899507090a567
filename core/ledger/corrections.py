"""Corrections: a journal cancelled by its mirror image (the books are append-only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from core.ledger.chart import LedgerError, LedgerLine, natural_balance
from core.ledger.journal import JournalDraft, journal_lines, post_once, raw_sums, reversed_ids
from core.ledger.payment_postings import payment_summary
from core.ledger.service import TenantArg, resolve_tenant_id
from core.ledger.tables import LedgerJournal
from core.tenancy.scoped import scoped, tenant_transaction

NEVER_NEGATIVE = ("provider_payable:", "provider_deposit:", "refunds")


async def reverse_journal(
    tenant: TenantArg,
    tenant_id: Any = None,
    *,
    journal_id: Any,
    reason: str,
    at: datetime,
    event_key: str | None = None,
) -> uuid.UUID:
    """Cancel a journal with its mirror image (the books are append-only). Refused for a
    reversal, a journal reversed already, or when it would take a provider's payable or
    deposit below zero or leave a payment refunded beyond its captures."""
    if not isinstance(reason, str) or not reason.strip():
        raise LedgerError("reason", "say why the journal is reversed")
    tid = await resolve_tenant_id(tenant, tenant_id)
    async with tenant_transaction(tid):
        original = (
            await scoped(LedgerJournal, tid).select().where(LedgerJournal.id == journal_id).first()
        )
    if original is None:
        raise LedgerError("journal_id", "no such journal")
    locks = [f"reversal:{journal_id}"]
    if original["provider"] is not None:
        locks.append(f"provider:{original['provider']}")
    if original["payment"] is not None:
        locks.append(f"payment:{original['payment']}")

    async def build(tid: uuid.UUID) -> JournalDraft:
        if original["kind"] == "reversal":
            raise LedgerError("journal_id", "a reversal is not reversed: post the journal again")
        if await reversed_ids(tid, [original["id"]]):
            raise LedgerError("journal_id", "this journal has been reversed already")
        if original["kind"] == "capture" and original["payment"] is not None:
            summary = await payment_summary(tid, original["payment"])
            if summary.refunded > summary.captured - int(original["amount_fen"]):
                raise LedgerError("journal_id", "the payment was refunded: refund, not reverse")
        lines = [LedgerLine(n, -a) for n, a in await journal_lines(tid, original["id"])]
        watched = [n for n, _ in lines if n.startswith(NEVER_NEGATIVE)]
        sums = await raw_sums(tid, watched)
        for name, amount in lines:
            if name in watched and natural_balance(name, sums.get(name, 0) + amount) < 0:
                raise LedgerError("journal_id", f"reversing it would take {name} below zero")
        return JournalDraft(
            kind="reversal",
            lines=lines,
            ref=f"journal:{original['id']}",
            memo=reason.strip(),
            amount_fen=int(original["amount_fen"]),
            booking_id=original["booking"],
            provider_id=original["provider"],
            payment_id=original["payment"],
            reverses=original["id"],
        )

    key = event_key or f"reversal:{journal_id}"
    return await post_once(tid, event_key=key, at=at, build=build, locks=locks)
