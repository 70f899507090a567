"""What a provider's money does besides earning: the security deposit paid, a customer
compensated out of it (and that compensation paid back), bonuses and penalties."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.ledger.chart import LedgerError, account, natural_balance
from core.ledger.journal import JournalDraft, post_once, raw_sum
from core.ledger.service import (
    TenantArg,
    resolve_tenant_id,
    source_account,
    valid_amount,
    valid_provider,
)


class InsufficientDeposit(LedgerError):
    def __init__(self, deposit: int) -> None:
        super().__init__("amount_fen", f"more than the provider's deposit of {deposit} fen")
        self.deposit = deposit


async def _simple(
    tenant: TenantArg,
    tenant_id: Any,
    draft_for: Any,
    *,
    at: datetime,
    event_key: str,
    locks: Sequence[str] = (),
) -> uuid.UUID:
    tid = await resolve_tenant_id(tenant, tenant_id)
    return await post_once(tid, event_key=event_key, at=at, build=draft_for, locks=locks)


async def record_deposit(
    tenant: TenantArg,
    tenant_id: Any = None,
    *,
    provider_id: Any,
    amount_fen: int,
    method: str,
    at: datetime,
    event_key: str,
) -> uuid.UUID:
    """A provider paid (part of) their security deposit."""
    amount = valid_amount(amount_fen)
    provider = valid_provider(provider_id)
    source = (
        source_account(method, provider)
        if method != "cash"
        else account("gateway_clearing", "cash")
    )

    async def build(_tid: uuid.UUID) -> JournalDraft:
        lines = [(source, amount), (account("provider_deposit", provider), -amount)]
        return JournalDraft("deposit", lines, f"provider:{provider}", "", amount, None, provider)

    return await _simple(tenant, tenant_id, build, at=at, event_key=event_key)


async def compensate_from_deposit(
    tenant: TenantArg,
    tenant_id: Any = None,
    *,
    provider_id: Any,
    booking_id: Any,
    amount_fen: int,
    reason: str,
    at: datetime,
    event_key: str,
) -> uuid.UUID:
    """After-sales: compensate a customer out of the provider's deposit. The amount becomes
    owed to the customer (``refunds``) until it is paid (``pay_compensation``)."""
    amount = valid_amount(amount_fen)
    provider = valid_provider(provider_id)
    if not isinstance(reason, str) or not reason.strip():
        raise LedgerError("reason", "say why the customer is compensated")
    deposit = account("provider_deposit", provider)

    async def build(tid: uuid.UUID) -> JournalDraft:
        held = natural_balance(deposit, await raw_sum(tid, deposit))
        if amount > held:
            raise InsufficientDeposit(held)
        lines = [(deposit, amount), ("refunds", -amount)]
        return JournalDraft(
            "compensation",
            lines,
            f"booking:{booking_id}",
            reason.strip(),
            amount,
            booking_id,
            provider,
        )

    locks = [f"provider:{provider}"]
    return await _simple(tenant, tenant_id, build, at=at, event_key=event_key, locks=locks)


async def pay_compensation(
    tenant: TenantArg,
    tenant_id: Any = None,
    *,
    booking_id: Any,
    amount_fen: int,
    method: str,
    at: datetime,
    event_key: str,
) -> uuid.UUID:
    """Compensation owed to a customer was paid back through ``method``."""
    amount = valid_amount(amount_fen)
    source = account("gateway_clearing", method) if method != "cash" else "payouts"

    async def build(tid: uuid.UUID) -> JournalDraft:
        owed = natural_balance("refunds", await raw_sum(tid, "refunds"))
        if amount > owed:
            raise LedgerError("amount_fen", f"more than the {owed} fen of compensation owed")
        lines = [("refunds", amount), (source, -amount)]
        return JournalDraft(
            "compensation_paid", lines, f"booking:{booking_id}", "", amount, booking_id
        )

    return await _simple(tenant, tenant_id, build, at=at, event_key=event_key, locks=["refunds"])


async def post_bonus(
    tenant: TenantArg,
    tenant_id: Any = None,
    *,
    provider_id: Any,
    amount_fen: int,
    reason: str,
    at: datetime,
    event_key: str,
    booking_id: Any = None,
) -> uuid.UUID:
    amount = valid_amount(amount_fen)
    provider = valid_provider(provider_id)

    async def build(_tid: uuid.UUID) -> JournalDraft:
        lines = [("bonuses", amount), (account("provider_payable", provider), -amount)]
        return JournalDraft(
            "bonus", lines, f"provider:{provider}", reason, amount, booking_id, provider
        )

    return await _simple(tenant, tenant_id, build, at=at, event_key=event_key)


async def post_penalty(
    tenant: TenantArg,
    tenant_id: Any = None,
    *,
    provider_id: Any,
    amount_fen: int,
    reason: str,
    at: datetime,
    event_key: str,
    booking_id: Any = None,
) -> uuid.UUID:
    """A penalty comes out of the provider's payable; what it does not cover becomes
    ``provider_receivable`` (netted at the next settlement)."""
    amount = valid_amount(amount_fen)
    provider = valid_provider(provider_id)
    payable = account("provider_payable", provider)

    async def build(tid: uuid.UUID) -> JournalDraft:
        covered = min(amount, max(0, natural_balance(payable, await raw_sum(tid, payable))))
        lines = [
            (payable, covered),
            (account("provider_receivable", provider), amount - covered),
            ("penalties", -amount),
        ]
        return JournalDraft(
            "penalty", lines, f"provider:{provider}", reason, amount, booking_id, provider
        )

    locks = [f"provider:{provider}"]
    return await _simple(tenant, tenant_id, build, at=at, event_key=event_key, locks=locks)
