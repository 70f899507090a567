"""Settlement: pay each provider the earnings that are past the holding period.

A run is per tenant and period (the settlement date in the tenant's calendar) and idempotent:
the ``SettlementRun`` row and each ``Payout`` row are unique per period, and every journal has
an event key. Per provider, in one unit of work: what the provider owes (cash collected,
refunds or penalties after a payout) is netted against the available payable, and the rest,
if at least ``min_payout_fen``, is posted as a payout and recorded ``pending``. Then the payout
adapter moves the money (idempotent per payout id) and the payout becomes ``paid`` with the
adapter's reference; an adapter failure marks it ``failed`` and reverses its journal, so the
money is available again next time. Running the period again retries pending payouts and
posts nothing new.

Available = the payable's balance counting credits (earnings, bonuses) entered before the
cutoff and every debit (refunds, penalties, payouts) whenever entered, never below zero.
Cutoff = local midnight of the settlement date minus ``holding_days``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from core.ledger.chart import LedgerLine, account, natural_balance
from core.ledger.corrections import reverse_journal
from core.ledger.journal import JournalDraft, post_once, raw_sums, sum_of, unit_of_work
from core.ledger.tables import LedgerEntry, Payout, SettlementRun
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, tenant_transaction, within_tenant
from core.tenancy.tenant_tables import tenant_uuid


class PayoutAdapter(Protocol):
    """Moves money to a provider. ``pay`` must be idempotent per ``payout_id`` (it is called
    again for a payout left pending) and returns the transfer's reference."""

    identifier: str

    async def pay(
        self, *, payout_id: str, provider_id: str, amount_fen: int, currency: str
    ) -> str: ...


class DemoPayoutAdapter:
    """Moves nothing; records a reference derived from the payout id (stable on retry)."""

    identifier = "demo"

    async def pay(self, *, payout_id: str, provider_id: str, amount_fen: int, currency: str) -> str:
        return f"DEMO-{uuid.UUID(payout_id).hex[:16].upper()}"


ADAPTERS: dict[str, Callable[[], PayoutAdapter]] = {"demo": DemoPayoutAdapter}


class SettlementError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


def adapter_for(tenant: Tenant) -> PayoutAdapter:
    name = tenant.config.policies.settlement.payout_adapter
    if name not in ADAPTERS:
        raise SettlementError("policies.settlement.payout_adapter", f"unknown adapter {name!r}")
    return ADAPTERS[name]()


def cutoff_for(tenant: Tenant, day: date) -> datetime:
    """Earnings entered before this moment (UTC) are past the holding period on ``day``."""
    policy = tenant.config.policies.settlement
    local = datetime.combine(day, time(0), tzinfo=ZoneInfo(tenant.config.timezone))
    return (local - timedelta(days=max(0, policy.holding_days))).astimezone(UTC)


@within_tenant
async def available_payable(tenant_id: Any, provider_id: str, cutoff: datetime) -> int:
    payable = account("provider_payable", provider_id)
    base = scoped(LedgerEntry, tenant_id).select(sum_of(LedgerEntry.amount_fen))
    base = base.where(LedgerEntry.account == payable)
    before = await base.where(LedgerEntry.at < cutoff).first()
    debits_after = (
        await scoped(LedgerEntry, tenant_id)
        .select(sum_of(LedgerEntry.amount_fen))
        .where(LedgerEntry.account == payable)
        .where(LedgerEntry.at >= cutoff)
        .where(LedgerEntry.amount_fen > 0)
        .first()
    )
    raw = int((before or {}).get("sum") or 0) + int((debits_after or {}).get("sum") or 0)
    return max(0, natural_balance(payable, raw))


@dataclass
class ProviderSettlement:
    provider_id: str
    available: int
    netted: int = 0
    paid: int = 0
    payout_id: str | None = None
    status: str = "skipped"
    """``paid``, ``pending``, ``failed``, ``below_minimum``, ``skipped`` (nothing available)."""
    reference: str = ""


@dataclass
class SettlementResult:
    period: str
    cutoff: datetime
    repeated: bool = False
    """The period had been settled before: nothing new was posted."""
    providers: list[ProviderSettlement] = field(default_factory=list)

    @property
    def total_paid(self) -> int:
        return sum(p.paid for p in self.providers if p.status == "paid")

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "cutoff": self.cutoff.isoformat(),
            "repeated": self.repeated,
            "total_paid_fen": self.total_paid,
            "providers": [vars(p) for p in self.providers],
        }


@within_tenant
async def providers_with_books(tenant_id: Any) -> list[str]:
    """Every provider with an account in the books."""
    names = await raw_sums(tenant_id, prefix="provider_")
    names |= await raw_sums(tenant_id, prefix="cash_owed:")
    return sorted({name.partition(":")[2] for name in names if ":" in name})


async def _settle_provider(
    tid: uuid.UUID, tenant: Tenant, period: str, provider: str, cutoff: datetime, at: datetime
) -> ProviderSettlement:
    policy = tenant.config.policies.settlement
    payable = account("provider_payable", provider)
    debts = [account("cash_owed", provider), account("provider_receivable", provider)]
    async with unit_of_work(tid):
        existing = (
            await scoped(Payout, tid)
            .select()
            .where((Payout.provider == provider) & (Payout.period == period))
            .first()
        )
        if existing is not None:
            return _from_row(existing, 0)
        available = await available_payable(tid, provider, cutoff)
        line = ProviderSettlement(provider, available)
        owed = await raw_sums(tid, debts)
        remaining = available
        netting: list[LedgerLine] = []
        for name in debts:
            take = min(remaining, max(0, owed.get(name, 0)))
            if take:
                netting.append(LedgerLine(name, -take))
                remaining -= take
        if netting:
            line.netted = available - remaining
            draft = JournalDraft(
                "netting",
                [LedgerLine(payable, line.netted), *netting],
                f"settlement:{period}",
                "",
                line.netted,
                None,
                provider,
            )
            await post_once(
                tid, event_key=f"settle:{period}:{provider}:net", at=at, build=_const(draft)
            )
        if remaining <= 0:
            return line
        if remaining < policy.min_payout_fen:
            line.status = "below_minimum"
            return line
        draft = JournalDraft(
            "payout",
            [LedgerLine(payable, remaining), LedgerLine("payouts", -remaining)],
            f"settlement:{period}",
            "",
            remaining,
            None,
            provider,
        )
        journal = await post_once(
            tid, event_key=f"settle:{period}:{provider}:payout", at=at, build=_const(draft)
        )
        row = Payout(
            tenant=tid,
            provider=provider,
            period=period,
            amount_fen=remaining,
            status="pending",
            adapter=policy.payout_adapter,
            journal=journal,
            created_at=at,
        )
        await scoped(Payout, tid).insert(row)
        line.paid, line.payout_id, line.status = remaining, str(row.id), "pending"
        return line


def _const(draft: JournalDraft) -> Callable[[uuid.UUID], Any]:
    async def build(_tid: uuid.UUID) -> JournalDraft:
        return draft

    return build


def _from_row(row: dict[str, Any], available: int) -> ProviderSettlement:
    return ProviderSettlement(
        provider_id=str(row["provider"]),
        available=available,
        paid=int(row["amount_fen"]),
        payout_id=str(row["id"]),
        status=row["status"],
        reference=row["reference"],
    )


async def _pay(
    tid: uuid.UUID, tenant: Tenant, adapter: PayoutAdapter, line: ProviderSettlement, at: datetime
) -> None:
    """Move the money of a pending payout; record the outcome."""
    assert line.payout_id is not None
    try:
        reference = await adapter.pay(
            payout_id=line.payout_id,
            provider_id=line.provider_id,
            amount_fen=line.paid,
            currency=tenant.config.currency,
        )
    except Exception as exc:  # the adapter's failure is the payout's, not the run's
        async with unit_of_work(tid):
            row = await scoped(Payout, tid).select().where(Payout.id == line.payout_id).first()
            assert row is not None
            await reverse_journal(
                tenant,
                tid,
                journal_id=row["journal"],
                reason=f"payout failed: {exc}"[:300],
                at=at,
            )
            await (
                scoped(Payout, tid)
                .update({Payout.status: "failed"})
                .where(Payout.id == line.payout_id)
            )
        line.status = "failed"
        return
    async with unit_of_work(tid):
        await (
            scoped(Payout, tid)
            .update({Payout.status: "paid", Payout.reference: reference[:120], Payout.paid_at: at})
            .where((Payout.id == line.payout_id) & (Payout.status == "pending"))
        )
    line.status, line.reference = "paid", reference


async def settle(
    tenant: Tenant,
    tenant_id: Any,
    day: date,
    *,
    now: datetime | None = None,
    adapter: PayoutAdapter | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SettlementResult:
    """Settle ``day`` for the tenant (see the module docstring). ``progress(done, total)`` is
    called after each provider."""
    tid = tenant_uuid(tenant_id)
    now = now or datetime.now(UTC)
    adapter = adapter or adapter_for(tenant)
    period = day.isoformat()
    cutoff = cutoff_for(tenant, day)
    result = SettlementResult(period, cutoff)
    async with tenant_transaction(tid):
        async with unit_of_work(tid):
            run = (
                await scoped(SettlementRun, tid)
                .select()
                .where(SettlementRun.period == period)
                .first()
            )
            if run is None:
                await (
                    scoped(SettlementRun, tid)
                    .insert(SettlementRun(tenant=tid, period=period, cutoff=cutoff, started_at=now))
                    .on_conflict(
                        target=(SettlementRun.tenant, SettlementRun.period), action="DO NOTHING"
                    )
                )
            result.repeated = run is not None and run["finished_at"] is not None
        if result.repeated:
            rows = await scoped(Payout, tid).select().where(Payout.period == period)
            pending = [_from_row(row, 0) for row in rows]
            for line in pending:
                if line.status == "pending":
                    await _pay(tid, tenant, adapter, line, now)
            result.providers = sorted(pending, key=lambda p: p.provider_id)
            return result
        providers = await providers_with_books(tid)
        for done, provider in enumerate(providers, start=1):
            line = await _settle_provider(tid, tenant, period, provider, cutoff, now)
            if line.status == "pending":
                await _pay(tid, tenant, adapter, line, now)
            result.providers.append(line)
            if progress is not None:
                progress(done, len(providers))
        async with unit_of_work(tid):
            await (
                scoped(SettlementRun, tid)
                .update(
                    {
                        SettlementRun.finished_at: now,
                        SettlementRun.providers: sum(1 for p in result.providers if p.paid),
                        SettlementRun.total_fen: result.total_paid,
                    }
                )
                .where(SettlementRun.period == period)
            )
    return result


def due_day(tenant: Tenant, now: datetime) -> date | None:
    """The settlement date the worker should run at ``now``, if any (policy weekdays, after
    ``run_after`` local time)."""
    policy = tenant.config.policies.settlement
    local = now.astimezone(ZoneInfo(tenant.config.timezone))
    hour, minute = (int(part) for part in policy.run_after.split(":", 1))
    if local.isoweekday() in policy.weekdays and local.time() >= time(hour, minute):
        return local.date()
    return None


async def run_due_settlements(tenant: Tenant, tenant_id: Any, now: datetime) -> dict[str, int]:
    """The worker job: settle today if it is a settlement day and not settled yet."""
    day = due_day(tenant, now)
    if day is None:
        return {}
    result = await settle(tenant, tenant_id, day, now=now)
    paid = [p for p in result.providers if p.status == "paid"]
    if result.repeated or not paid:
        return {}
    return {"payouts_made": len(paid), "payouts_fen": result.total_paid}
