"""The journal mechanism: post exactly once, lock, read balances. The business postings that
use it live in ``core.ledger.service`` and its siblings (``payment_postings``,
``provider_postings``, ``corrections``); the chart of accounts in ``core.ledger.chart``."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine
from piccolo.query.functions.aggregate import Sum

from core.db import is_unique_or_exclusion_violation, write_transaction
from core.ledger.chart import LedgerError, LedgerLine, check_lines
from core.ledger.tables import LedgerEntry, LedgerJournal, LedgerLock
from core.tenancy.scoped import scoped, tenant_transaction, within_tenant
from core.tenancy.tenant_tables import tenant_uuid


@dataclass(frozen=True)
class JournalDraft:
    """What a posting computed inside the unit of work, ready to insert."""

    kind: str
    lines: Sequence[tuple[str, int] | LedgerLine]
    ref: str = ""
    memo: str = ""
    amount_fen: int = 0
    booking_id: Any = None
    provider_id: Any = None
    payment_id: Any = None
    reverses: Any = None


def _uuid_or_none(value: Any, field: str) -> uuid.UUID | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise LedgerError(field, "must be an id (UUID)") from None


def _check_time(at: datetime) -> None:
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise LedgerError("at", "must be a timezone-aware datetime")


@asynccontextmanager
async def unit_of_work(tenant_id: Any) -> AsyncIterator[uuid.UUID]:
    """The tenant's transaction and a write unit inside it. Joins a write transaction the
    caller already has open (the payments code posts in the transaction that moves its
    payment): on SQLite it runs in it, on PostgreSQL in a savepoint of it."""
    tid = tenant_uuid(tenant_id)
    async with tenant_transaction(tid):
        engine = LedgerJournal._meta.db
        if isinstance(engine, SQLiteEngine) and engine.current_transaction.get() is not None:
            yield tid
        else:
            async with write_transaction():
                yield tid


async def lock(tenant_id: uuid.UUID, *keys: str) -> None:
    """Serialise work on these keys until the transaction ends (sorted: no deadlocks)."""
    for key in sorted(set(keys)):
        await (
            scoped(LedgerLock, tenant_id)
            .insert(LedgerLock(tenant=tenant_id, key=key))
            .on_conflict(target=(LedgerLock.tenant, LedgerLock.key), action="DO NOTHING")
        )
        await (
            scoped(LedgerLock, tenant_id)
            .update({LedgerLock.version: LedgerLock.version + 1})
            .where(LedgerLock.key == key)
        )


async def journal_by_key(tenant_id: uuid.UUID, event_key: str) -> uuid.UUID | None:
    row = (
        await scoped(LedgerJournal, tenant_id)
        .select(LedgerJournal.id)
        .where(LedgerJournal.event_key == event_key)
        .first()
    )
    return None if row is None else _uuid_or_none(row["id"], "id")


async def post_once(
    tenant_id: Any,
    *,
    event_key: str | None,
    at: datetime,
    build: Callable[[uuid.UUID], Awaitable[JournalDraft]],
    locks: Sequence[str] = (),
) -> uuid.UUID:
    """Post the journal ``build`` computes (after taking ``locks``), once per ``event_key``.

    A second call with the same key returns the first journal's id and posts nothing, also
    when both run at once: on SQLite the single writer serialises them; on PostgreSQL the
    unique index refuses the second insert, which then finds the first."""
    _check_time(at)
    if event_key is not None and not (isinstance(event_key, str) and 0 < len(event_key) <= 200):
        raise LedgerError("event_key", "must be 1 to 200 characters")
    tid = tenant_uuid(tenant_id)
    async with tenant_transaction(tid):
        if event_key and (found := await journal_by_key(tid, event_key)):
            return found
        try:
            async with unit_of_work(tid):
                await lock(tid, *locks)
                if event_key and (found := await journal_by_key(tid, event_key)):
                    return found
                draft = await build(tid)
                return await _insert(tid, draft, event_key, at)
        except Exception as exc:
            if event_key and is_unique_or_exclusion_violation(exc):
                found = await journal_by_key(tid, event_key)
                if found is not None:
                    return found
            raise


async def _insert(
    tid: uuid.UUID, draft: JournalDraft, event_key: str | None, at: datetime
) -> uuid.UUID:
    lines = check_lines(draft.lines)
    if not draft.kind or len(draft.kind) > 24:
        raise LedgerError("kind", "must be 1 to 24 characters")
    booking = _uuid_or_none(draft.booking_id, "booking_id")
    journal = LedgerJournal(
        tenant=tid,
        kind=draft.kind,
        about=draft.ref[:120],
        event_key=event_key or None,
        memo=draft.memo[:2000],
        amount_fen=draft.amount_fen,
        at=at,
        booking=booking,
        provider=_uuid_or_none(draft.provider_id, "provider_id"),
        payment=_uuid_or_none(draft.payment_id, "payment_id"),
        reverses=_uuid_or_none(draft.reverses, "reverses"),
    )
    await scoped(LedgerJournal, tid).insert(journal)
    await scoped(LedgerEntry, tid).insert(
        *(
            LedgerEntry(
                tenant=tid,
                journal=journal.id,
                account=line.account,
                amount_fen=line.amount_fen,
                at=at,
                kind=draft.kind,
                booking=booking,
            )
            for line in lines
        )
    )
    return uuid.UUID(str(journal.id))


# --- reading --------------------------------------------------------------------------------


def sum_of(column: Any) -> Any:
    """``SUM(column)`` as a select argument (read back as ``"sum"``)."""
    return Sum(column)


def _int(value: Any) -> int:
    return int(value or 0)


@within_tenant
async def raw_sums(
    tenant_id: Any,
    accounts: Sequence[str] | None = None,
    *,
    prefix: str | None = None,
    until: datetime | None = None,
) -> dict[str, int]:
    """Debit-positive sums per account (only accounts with entries are listed)."""
    tid = tenant_uuid(tenant_id)
    query = scoped(LedgerEntry, tid).select(LedgerEntry.account, sum_of(LedgerEntry.amount_fen))
    if accounts is not None:
        if not accounts:
            return {}
        query = query.where(LedgerEntry.account.is_in(list(accounts)))
    if prefix is not None:
        query = query.where(LedgerEntry.account.like(f"{prefix}%"))
    if until is not None:
        query = query.where(LedgerEntry.at < until)
    rows = await query.group_by(LedgerEntry.account)
    return {row["account"]: _int(row["sum"]) for row in rows}


@within_tenant
async def raw_sum(tenant_id: Any, account: str, *, until: datetime | None = None) -> int:
    return (await raw_sums(tenant_id, [account], until=until)).get(account, 0)


@within_tenant
async def journal_lines(tenant_id: Any, journal_id: Any) -> list[LedgerLine]:
    rows = (
        await scoped(LedgerEntry, tenant_id)
        .select(LedgerEntry.account, LedgerEntry.amount_fen)
        .where(LedgerEntry.journal == journal_id)
        .order_by(LedgerEntry.account)
    )
    return [LedgerLine(row["account"], int(row["amount_fen"])) for row in rows]


@within_tenant
async def reversed_ids(tenant_id: Any, journal_ids: Sequence[Any]) -> set[uuid.UUID]:
    """Which of these journals have been reversed."""
    if not journal_ids:
        return set()
    rows = (
        await scoped(LedgerJournal, tenant_id)
        .select(LedgerJournal.reverses)
        .where(LedgerJournal.reverses.is_in(list(journal_ids)))
    )
    return {uuid.UUID(str(row["reverses"])) for row in rows}
