"""Statements read from the books: per provider (every booking with gross, commission, fees,
adjustments and net), per tenant for the platform, and the day-by-day series of the finance
dashboard. Nothing here writes.

Per booking, from the journals of the period (a reversal counts as minus what it reverses):
gross = captured - refunded; commission = commission taken - given back; fees = gateway fees
the provider bore; adjustments = bonuses - penalties - compensation paid from the deposit;
net = gross - commission - fees + adjustments.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.ledger.journal import raw_sums
from core.ledger.tables import LedgerEntry, LedgerJournal, Payout
from core.tenancy.scoped import scoped, within_tenant

BOOKING_KINDS = ("capture", "refund", "bonus", "penalty", "compensation")


@dataclass
class StatementLine:
    booking_id: str
    """Empty for adjustments not tied to a booking."""
    first_at: datetime
    gross: int = 0
    commission: int = 0
    fees: int = 0
    adjustments: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.commission - self.fees + self.adjustments


@dataclass
class Totals:
    gross: int = 0
    commission: int = 0
    fees: int = 0
    adjustments: int = 0
    net: int = 0


@dataclass
class ProviderStatement:
    provider_id: str
    start: datetime
    end: datetime
    lines: list[StatementLine] = field(default_factory=list)
    payouts: list[dict[str, Any]] = field(default_factory=list)
    payable_at_end: int = 0
    deposit_at_end: int = 0
    owed_at_end: int = 0
    """Cash collected and other amounts the provider owes the platform at the end."""

    @property
    def totals(self) -> Totals:
        out = Totals()
        for line in self.lines:
            out.gross += line.gross
            out.commission += line.commission
            out.fees += line.fees
            out.adjustments += line.adjustments
            out.net += line.net
        return out

    @property
    def paid_out(self) -> int:
        return sum(int(p["amount_fen"]) for p in self.payouts if p["status"] != "failed")


def _contribution(kind: str, amount: int, entries: list[tuple[str, int]]) -> dict[str, int]:
    """What one journal adds to its booking's line (``kind``/``amount`` already flipped for a
    reversal; the entries are the journal's own)."""
    commission = -sum(a for n, a in entries if n == "platform_commission")
    share = -sum(
        a for n, a in entries if n.startswith(("provider_payable:", "provider_receivable:"))
    )
    if kind in {"capture", "refund"}:
        gross = amount if kind == "capture" else -amount
        return {"gross": gross, "commission": commission, "fees": gross - commission - share}
    if kind == "bonus":
        return {"adjustments": amount}
    if kind in {"penalty", "compensation"}:
        return {"adjustments": -amount}
    return {}


async def _journals(tenant_id: Any, where: Any, start: datetime, end: datetime) -> list[Any]:
    rows = (
        await scoped(LedgerJournal, tenant_id)
        .select()
        .where(where)
        .where((LedgerJournal.at >= start) & (LedgerJournal.at < end))
        .order_by(LedgerJournal.at)
    )
    return list(rows)


async def _entries(tenant_id: Any, journal_ids: list[Any]) -> dict[str, list[tuple[str, int]]]:
    found: dict[str, list[tuple[str, int]]] = {}
    for chunk in range(0, len(journal_ids), 500):
        rows = (
            await scoped(LedgerEntry, tenant_id)
            .select(LedgerEntry.journal, LedgerEntry.account, LedgerEntry.amount_fen)
            .where(LedgerEntry.journal.is_in(journal_ids[chunk : chunk + 500]))
        )
        for row in rows:
            found.setdefault(str(row["journal"]), []).append(
                (row["account"], int(row["amount_fen"]))
            )
    return found


async def _kinds_of(tenant_id: Any, ids: list[Any]) -> dict[str, str]:
    if not ids:
        return {}
    rows = (
        await scoped(LedgerJournal, tenant_id)
        .select(LedgerJournal.id, LedgerJournal.kind)
        .where(LedgerJournal.id.is_in(ids))
    )
    return {str(row["id"]): row["kind"] for row in rows}


async def booking_lines(tenant_id: Any, journals: list[Any]) -> dict[str, StatementLine]:
    """Statement lines per booking id ("" for adjustments without a booking)."""
    reversed_kind = await _kinds_of(
        tenant_id, [j["reverses"] for j in journals if j["kind"] == "reversal"]
    )
    entries = await _entries(tenant_id, [j["id"] for j in journals])
    lines: dict[str, StatementLine] = {}
    for journal in journals:
        kind, amount = journal["kind"], int(journal["amount_fen"])
        if kind == "reversal":
            kind, amount = reversed_kind.get(str(journal["reverses"]), ""), -amount
        if kind not in BOOKING_KINDS:
            continue
        key = str(journal["booking"] or "")
        line = lines.setdefault(key, StatementLine(key, journal["at"]))
        for name, value in _contribution(kind, amount, entries.get(str(journal["id"]), [])).items():
            setattr(line, name, getattr(line, name) + value)
    return lines


@within_tenant
async def provider_statement(
    tenant_id: Any, provider_id: Any, start: datetime, end: datetime
) -> ProviderStatement:
    provider = str(uuid.UUID(str(provider_id)))
    journals = await _journals(tenant_id, LedgerJournal.provider == provider, start, end)
    lines = await booking_lines(tenant_id, journals)
    statement = ProviderStatement(provider, start, end)
    statement.lines = sorted(lines.values(), key=lambda line: (line.first_at, line.booking_id))
    statement.payouts = [
        dict(row)
        for row in await scoped(Payout, tenant_id)
        .select(Payout.id, Payout.period, Payout.amount_fen, Payout.status, Payout.reference)
        .where((Payout.provider == provider) & (Payout.created_at >= start))
        .where(Payout.created_at < end)
        .order_by(Payout.period)
    ]
    names = [
        f"{kind}:{provider}"
        for kind in ("provider_payable", "provider_deposit", "cash_owed", "provider_receivable")
    ]
    sums = await raw_sums(tenant_id, names, until=end)
    statement.payable_at_end = -sums.get(names[0], 0)
    statement.deposit_at_end = -sums.get(names[1], 0)
    statement.owed_at_end = sums.get(names[2], 0) + sums.get(names[3], 0)
    return statement


@dataclass
class PlatformStatement:
    start: datetime
    end: datetime
    captured: int = 0
    refunded: int = 0
    commission: int = 0
    penalties: int = 0
    bonuses: int = 0
    compensation: int = 0
    paid_out: int = 0
    by_vertical: dict[str, dict[str, int]] = field(default_factory=dict)
    balances_at_end: dict[str, int] = field(default_factory=dict)
    """Raw (debit-positive) balances of the platform-level accounts and each gateway."""
    providers_payable: int = 0
    deposits_held: int = 0
    owed_by_providers: int = 0
    lines: list[StatementLine] = field(default_factory=list)
    """Every booking with money in the period: gross, commission, fees, adjustments and the
    provider's net (what the platform keeps of a booking is its commission)."""

    @property
    def totals(self) -> Totals:
        out = Totals()
        for line in self.lines:
            out.gross += line.gross
            out.commission += line.commission
            out.fees += line.fees
            out.adjustments += line.adjustments
            out.net += line.net
        return out


@within_tenant
async def platform_statement(tenant_id: Any, start: datetime, end: datetime) -> PlatformStatement:
    """The tenant's platform statement: flows in the period, balances at its end."""
    out = PlatformStatement(start, end)
    journals = await _journals(tenant_id, LedgerJournal.id.is_not_null(), start, end)
    entries = await _entries(tenant_id, [j["id"] for j in journals])
    reversed_kind = await _kinds_of(
        tenant_id, [j["reverses"] for j in journals if j["kind"] == "reversal"]
    )
    for journal in journals:
        kind, sign = journal["kind"], 1
        if kind == "reversal":
            kind, sign = reversed_kind.get(str(journal["reverses"]), ""), -1
        amount = sign * int(journal["amount_fen"])
        lines = entries.get(str(journal["id"]), [])
        commission = -sum(a for n, a in lines if n == "platform_commission")
        out.commission += commission
        if kind in {"capture", "refund"}:
            vertical = (journal["memo"] or "").split(" ", 1)[0] or "-"
            row = out.by_vertical.setdefault(
                vertical, {"captured": 0, "refunded": 0, "commission": 0}
            )
            row["commission"] += commission
            if kind == "capture":
                out.captured += amount
                row["captured"] += amount
            else:
                out.refunded += amount
                row["refunded"] += amount
        elif kind == "penalty":
            out.penalties += amount
        elif kind == "bonus":
            out.bonuses += amount
        elif kind == "compensation":
            out.compensation += amount
        elif kind == "payout":
            out.paid_out += amount
    per_booking = await booking_lines(tenant_id, [j for j in journals if j["booking"]])
    out.lines = sorted(per_booking.values(), key=lambda line: (line.first_at, line.booking_id))
    sums = await raw_sums(tenant_id, until=end)
    for name, value in sorted(sums.items()):
        if name.startswith("provider_payable:"):
            out.providers_payable -= value
        elif name.startswith("provider_deposit:"):
            out.deposits_held -= value
        elif name.startswith(("cash_owed:", "provider_receivable:")):
            out.owed_by_providers += value
        else:
            out.balances_at_end[name] = value
    return out


@dataclass
class DaySeries:
    days: list[date]
    revenue: list[int]
    """Captured gross per day."""
    commission: list[int]
    refunds: list[int]
    payables: list[int]
    """Providers' payables outstanding at the end of each day."""


@within_tenant
async def daily_series(tenant_id: Any, zone: ZoneInfo, first: date, last: date) -> DaySeries:
    """Per local day from ``first`` to ``last``: revenue, commission, refunds, payables."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    index = {day: n for n, day in enumerate(days)}
    revenue, commission, refunds, payables = ([0] * len(days) for _ in range(4))
    opening = await raw_sums(tenant_id, prefix="provider_payable:", until=start)
    running = -sum(opening.values())
    rows = (
        await scoped(LedgerEntry, tenant_id)
        .select(LedgerEntry.account, LedgerEntry.amount_fen, LedgerEntry.at, LedgerEntry.kind)
        .where((LedgerEntry.at >= start) & (LedgerEntry.at < end))
        .order_by(LedgerEntry.at)
    )
    moved = [0] * len(days)
    for row in rows:
        n = index.get(row["at"].astimezone(zone).date())
        if n is None:
            continue
        name, amount = row["account"], int(row["amount_fen"])
        if name == "platform_commission":
            commission[n] -= amount
        elif name.startswith("provider_payable:"):
            moved[n] -= amount
        elif name.startswith(("gateway_clearing:", "cash_owed:")) and row["kind"] == "capture":
            revenue[n] += max(amount, 0)
        elif name.startswith(("gateway_clearing:", "cash_owed:")) and row["kind"] == "refund":
            refunds[n] -= amount
    for n in range(len(days)):
        running += moved[n]
        payables[n] = running
    return DaySeries(days, revenue, commission, refunds, payables)
