"""Reconciliation: the gateways' records against the books, every difference listed.

A gateway record is ``(reference, amount_fen, kind)``: ``reference`` is the payment id the
ledger was given with the capture or refund, ``kind`` is ``capture`` or ``refund``; several
records of one reference and kind (partial refunds) are added up. The books' side is every
capture and refund journal paid through a gateway (not cash) in the period, a reversed journal
counting as nothing. Differences: ``missing_in_ledger`` (the gateway has money the books do
not), ``missing_at_gateway`` (the books have money the gateway does not), ``amount_mismatch``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.ledger.journal import reversed_ids
from core.ledger.tables import LedgerEntry, LedgerJournal
from core.tenancy.scoped import scoped, within_tenant

KINDS = ("capture", "refund")


@dataclass(frozen=True)
class GatewayRecord:
    reference: str
    amount_fen: int
    kind: str


@dataclass(frozen=True)
class Difference:
    reference: str
    kind: str
    problem: str
    gateway_fen: int
    ledger_fen: int

    @property
    def gap_fen(self) -> int:
        return self.gateway_fen - self.ledger_fen


@dataclass(frozen=True)
class Reconciliation:
    start: datetime
    end: datetime
    matched: int
    differences: list[Difference]
    gateway_total: int
    ledger_total: int

    @property
    def clean(self) -> bool:
        return not self.differences


def _as_record(record: GatewayRecord | tuple[str, int, str]) -> GatewayRecord:
    if isinstance(record, GatewayRecord):
        return record
    reference, amount, kind = record
    return GatewayRecord(str(reference), int(amount), str(kind))


@within_tenant
async def ledger_side(tenant_id: Any, start: datetime, end: datetime) -> dict[tuple[str, str], int]:
    """(payment id, kind) -> fen, of gateway payments in the books for the period."""
    journals = list(
        await scoped(LedgerJournal, tenant_id)
        .select(
            LedgerJournal.id, LedgerJournal.kind, LedgerJournal.payment, LedgerJournal.amount_fen
        )
        .where(LedgerJournal.kind.is_in(list(KINDS)))
        .where(LedgerJournal.payment.is_not_null())
        .where((LedgerJournal.at >= start) & (LedgerJournal.at < end))
    )
    ids = [row["id"] for row in journals]
    gone = {str(i) for i in await reversed_ids(tenant_id, ids)}
    through_gateway: set[str] = set()
    for chunk in range(0, len(ids), 500):
        rows = (
            await scoped(LedgerEntry, tenant_id)
            .select(LedgerEntry.journal)
            .where(LedgerEntry.journal.is_in(ids[chunk : chunk + 500]))
            .where(LedgerEntry.account.like("gateway_clearing:%"))
        )
        through_gateway |= {str(row["journal"]) for row in rows}
    side: dict[tuple[str, str], int] = {}
    for row in journals:
        jid = str(row["id"])
        if jid in gone or jid not in through_gateway:
            continue
        key = (str(row["payment"]), row["kind"])
        side[key] = side.get(key, 0) + int(row["amount_fen"])
    return side


async def reconcile(
    tenant_id: Any,
    records: Iterable[GatewayRecord | tuple[str, int, str]],
    start: datetime,
    end: datetime,
) -> Reconciliation:
    """Match ``records`` (the gateways' list for the period) against the books."""
    gateway: dict[tuple[str, str], int] = {}
    for raw in records:
        record = _as_record(raw)
        if record.kind not in KINDS:
            raise ValueError(f"kind: {record.kind!r} is not one of {', '.join(KINDS)}")
        key = (record.reference, record.kind)
        gateway[key] = gateway.get(key, 0) + record.amount_fen
    books = await ledger_side(tenant_id, start, end)
    differences: list[Difference] = []
    matched = 0
    for key in sorted(set(gateway) | set(books)):
        theirs, ours = gateway.get(key), books.get(key)
        if theirs == ours:
            matched += 1
            continue
        problem = (
            "missing_in_ledger"
            if ours is None
            else "missing_at_gateway"
            if theirs is None
            else "amount_mismatch"
        )
        differences.append(Difference(key[0], key[1], problem, theirs or 0, ours or 0))
    return Reconciliation(
        start, end, matched, differences, sum(gateway.values()), sum(books.values())
    )
