"""Ledger rules: what each business event posts. The chart of accounts is documented in
``core.ledger.chart``; the mechanism (exactly once, locks, sums) in ``core.ledger.journal``.

Interface (stable; ``core.payments`` calls it inside its own write transaction)::

    post_journal(tenant_id, kind, lines, *, ref, event_key=None, memo="", at,
                 booking_id=None, provider_id=None, payment_id=None) -> journal id
    record_capture(tenant, tenant_id=None, *, payment_id, booking_id, provider_id, vertical,
                   amount_fen, method, at, event_key, fee_fen=0) -> journal id
    record_refund(tenant, tenant_id=None, *, payment_id, booking_id, provider_id, vertical,
                  amount_fen, method, at, event_key) -> journal id   # RefundExceedsCapture
    payment_summary(tenant_id, payment_id) -> PaymentSummary(captured, refunded, refundable)
    record_deposit(tenant, tenant_id=None, *, provider_id, amount_fen, method, at, event_key)
    compensate_from_deposit(tenant, tenant_id=None, *, provider_id, booking_id, amount_fen,
                            reason, at, event_key) -> journal id     # InsufficientDeposit
    pay_compensation(tenant, tenant_id=None, *, booking_id, amount_fen, method, at, event_key)
    post_bonus / post_penalty(tenant, tenant_id=None, *, provider_id, amount_fen, reason, at,
                              event_key, booking_id=None) -> journal id
    reverse_journal(tenant, tenant_id=None, *, journal_id, reason, at, event_key=None)
    balance(tenant_id, account) -> int (on the account's normal side)
    provider_balances(tenant_id, provider_id) -> ProviderBalances
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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.ledger.chart import (
    LedgerError,
    LedgerLine,
    account,
    check_account,
    commission_bps,
    commission_split,
    natural_balance,
    split_largest_remainder,
)
from core.ledger.journal import (
    JournalDraft,
    journal_lines,
    post_once,
    raw_sum,
    raw_sums,
    reversed_ids,
)
from core.ledger.tables import LedgerEntry, LedgerJournal
from core.tenancy.model import Tenant
from core.tenancy.scoped import (
    active_tenant,
    scoped,
    tenant_transaction,
    tenant_uuid,
    within_tenant,
)

__all__ = [
    "InsufficientDeposit",
    "LedgerError",
    "LedgerLine",
    "PaymentSummary",
    "ProviderBalances",
    "RefundExceedsCapture",
    "balance",
    "compensate_from_deposit",
    "pay_compensation",
    "payment_summary",
    "post_bonus",
    "post_journal",
    "post_penalty",
    "provider_balances",
    "record_capture",
    "record_deposit",
    "record_refund",
    "reverse_journal",
    "split_largest_remainder",
]


class RefundExceedsCapture(LedgerError):
    """A refund larger than what is left of the payment's captures."""

    def __init__(self, refundable: int) -> None:
        super().__init__("amount_fen", f"more than the {refundable} fen left to refund")
        self.refundable = refundable


class InsufficientDeposit(LedgerError):
    def __init__(self, deposit: int) -> None:
        super().__init__("amount_fen", f"more than the provider's deposit of {deposit} fen")
        self.deposit = deposit


TenantArg = Tenant | uuid.UUID | str


async def _tid(tenant: TenantArg, tenant_id: Any) -> uuid.UUID:
    if tenant_id is not None:
        return tenant_uuid(tenant_id)
    if not isinstance(tenant, Tenant):
        return tenant_uuid(tenant)
    if (active := active_tenant()) is not None:
        return active
    from core.tenancy.service import tenant_row_id

    return tenant_uuid(await tenant_row_id(tenant.slug))


def _amount(value: Any, field: str = "amount_fen", *, zero: bool = False) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise LedgerError(field, "must be a whole number of fen")
    if value < 0 or (value == 0 and not zero):
        raise LedgerError(field, "must be more than zero")
    return value


def _source(method: str, provider_id: Any) -> str:
    """The account a payment by ``method`` lands in (and a refund leaves from)."""
    if not isinstance(method, str) or not method:
        raise LedgerError("method", "a payment method is required")
    if method == "cash":
        return account("cash_owed", provider_id)
    try:
        return account("gateway_clearing", method)
    except LedgerError:
        raise LedgerError("method", f"{method!r} is not a payment method identifier") from None


def _provider(value: Any) -> str:
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


# --- payments -------------------------------------------------------------------------------


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
    gross = _amount(amount_fen)
    fee = _amount(fee_fen, "fee_fen", zero=True)
    if not isinstance(tenant, Tenant):
        raise LedgerError("tenant", "record_capture needs the loaded tenant (commission rates)")
    bps = commission_bps(tenant.config.commission, vertical)
    provider = _provider(provider_id)
    source = _source(method, provider)
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

    tid = await _tid(tenant, tenant_id)
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
    amount = _amount(amount_fen)
    provider = _provider(provider_id)
    source = _source(method, provider)
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

    tid = await _tid(tenant, tenant_id)
    return await post_once(
        tid,
        event_key=event_key,
        at=at,
        build=build,
        locks=[f"payment:{payment_id}", f"provider:{provider}"],
    )


# --- deposits, compensation, bonuses, penalties ---------------------------------------------


async def _simple(
    tenant: TenantArg,
    tenant_id: Any,
    draft_for: Any,
    *,
    at: datetime,
    event_key: str,
    locks: Sequence[str] = (),
) -> uuid.UUID:
    tid = await _tid(tenant, tenant_id)
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
    amount = _amount(amount_fen)
    provider = _provider(provider_id)
    source = _source(method, provider) if method != "cash" else account("gateway_clearing", "cash")

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
    amount = _amount(amount_fen)
    provider = _provider(provider_id)
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
    amount = _amount(amount_fen)
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
    amount = _amount(amount_fen)
    provider = _provider(provider_id)

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
    amount = _amount(amount_fen)
    provider = _provider(provider_id)
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


# --- corrections ----------------------------------------------------------------------------

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
    tid = await _tid(tenant, tenant_id)
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


# --- balances -------------------------------------------------------------------------------


@within_tenant
async def balance(tenant_id: Any, account: str, *, until: datetime | None = None) -> int:
    """The account's balance on its normal side (a liability's credit balance is positive)."""
    check_account(account)
    return natural_balance(account, await raw_sum(tenant_id, account, until=until))


@dataclass(frozen=True)
class ProviderBalances:
    payable: int
    """Earned, not yet paid out (includes what is still in the holding period)."""
    deposit: int
    cash_owed: int
    receivable: int

    @property
    def net(self) -> int:
        """What the platform owes the provider after what the provider owes it."""
        return self.payable - self.cash_owed - self.receivable


@within_tenant
async def provider_balances(tenant_id: Any, provider_id: Any) -> ProviderBalances:
    provider = _provider(provider_id)
    names = {
        kind: account(kind, provider)
        for kind in ("provider_payable", "provider_deposit", "cash_owed", "provider_receivable")
    }
    sums = await raw_sums(tenant_id, list(names.values()))
    value = {kind: natural_balance(name, sums.get(name, 0)) for kind, name in names.items()}
    return ProviderBalances(
        payable=value["provider_payable"],
        deposit=value["provider_deposit"],
        cash_owed=value["cash_owed"],
        receivable=value["provider_receivable"],
    )
