"""Ledger rules: what each business event posts. The chart of accounts is documented in
``core.ledger.chart``; the mechanism (exactly once, locks, sums) in ``core.ledger.journal``.
This module holds the journal core: ``post_journal`` and the argument checks every posting
shares; the postings themselves live beside it, by what they are about.

Interface (stable; ``core.payments`` calls it inside its own write transaction)::

    post_journal(tenant_id, kind, lines, *, ref, event_key=None, memo="", at,
                 booking_id=None, provider_id=None, payment_id=None) -> journal id

    # core.ledger.payment_postings
    record_capture(tenant, tenant_id=None, *, payment_id, booking_id, provider_id, vertical,
                   amount_fen, method, at, event_key, fee_fen=0) -> journal id
    record_refund(tenant, tenant_id=None, *, payment_id, booking_id, provider_id, vertical,
                  amount_fen, method, at, event_key) -> journal id   # RefundExceedsCapture
    payment_summary(tenant_id, payment_id) -> PaymentSummary(captured, refunded, refundable)

    # core.ledger.provider_postings
    record_deposit(tenant, tenant_id=None, *, provider_id, amount_fen, method, at, event_key)
    compensate_from_deposit(tenant, tenant_id=None, *, provider_id, booking_id, amount_fen,
                            reason, at, event_key) -> journal id     # InsufficientDeposit
    pay_compensation(tenant, tenant_id=None, *, booking_id, amount_fen, method, at, event_key)
    post_bonus / post_penalty(tenant, tenant_id=None, *, provider_id, amount_fen, reason, at,
                              event_key, booking_id=None) -> journal id

    # core.ledger.corrections
    reverse_journal(tenant, tenant_id=None, *, journal_id, reason, at, event_key=None)

    # core.ledger.balances
    balance(tenant_id, account) -> int (on the account's normal side)
    provider_balances(tenant_id, provider_id) -> ProviderBalances

    # core.ledger.chart
    split_largest_remainder(total, weights) -> list[int]

``tenant`` is the loaded ``Tenant`` (or the tenant row id; ``record_capture`` needs the
``Tenant`` for its commission rates). ``tenant_id`` defaults to the tenant whose transaction
is open, else the row of ``tenant.slug``. Amounts are integer fen > 0, ``at`` an aware
datetime, ``event_key`` a string unique per tenant: the same key again returns the first
journal's id and posts nothing. Every refusal is a ``LedgerError`` with ``field``/``reason``.
Each function opens the tenant's transaction and a write unit, or joins the open ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.ledger.chart import LedgerError, LedgerLine, account
from core.ledger.journal import JournalDraft, post_once
from core.tenancy.model import Tenant
from core.tenancy.scoped import active_tenant
from core.tenancy.tenant_tables import tenant_uuid

__all__ = [
    "TenantArg",
    "post_journal",
    "resolve_tenant_id",
    "source_account",
    "valid_amount",
    "valid_provider",
]


TenantArg = Tenant | uuid.UUID | str


async def resolve_tenant_id(tenant: TenantArg, tenant_id: Any) -> uuid.UUID:
    """The tenant row id to post under: ``tenant_id`` if given, else the open transaction's
    tenant, else the row of ``tenant.slug``."""
    if tenant_id is not None:
        return tenant_uuid(tenant_id)
    if not isinstance(tenant, Tenant):
        return tenant_uuid(tenant)
    if (active := active_tenant()) is not None:
        return active
    from core.tenancy.service import tenant_row_id

    return tenant_uuid(await tenant_row_id(tenant.slug))


def valid_amount(value: Any, field: str = "amount_fen", *, zero: bool = False) -> int:
    """``value`` if it is whole fen above zero (or zero, with ``zero``); else a ``LedgerError``."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise LedgerError(field, "must be a whole number of fen")
    if value < 0 or (value == 0 and not zero):
        raise LedgerError(field, "must be more than zero")
    return value


def source_account(method: str, provider_id: Any) -> str:
    """The account a payment by ``method`` lands in (and a refund leaves from)."""
    if not isinstance(method, str) or not method:
        raise LedgerError("method", "a payment method is required")
    if method == "cash":
        return account("cash_owed", provider_id)
    try:
        return account("gateway_clearing", method)
    except LedgerError:
        raise LedgerError("method", f"{method!r} is not a payment method identifier") from None


def valid_provider(value: Any) -> str:
    """The provider id as a canonical UUID string; else a ``LedgerError``."""
    try:
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
    except ValueError:
        raise LedgerError("provider_id", "must be a provider id") from None


async def post_journal(
    tenant_id: Any,
    kind: str,
    lines: Sequence[tuple[str, int]] | Sequence[LedgerLine],
    *,
    ref: str,
    event_key: str | None = None,
    memo: str = "",
    at: datetime,
    booking_id: Any = None,
    provider_id: Any = None,
    payment_id: Any = None,
) -> uuid.UUID:
    """Post a balanced journal (exactly once per ``event_key``); returns its id."""
    draft = JournalDraft(
        kind=kind,
        lines=list(lines),
        ref=ref,
        memo=memo,
        booking_id=booking_id,
        provider_id=provider_id,
        payment_id=payment_id,
    )

    async def build(_tid: uuid.UUID) -> JournalDraft:
        return draft

    return await post_once(tenant_id, event_key=event_key, at=at, build=build)
