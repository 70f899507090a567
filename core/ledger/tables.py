"""Ledger tables. Journals and their entries are append-only: nothing updates or deletes them;
a correction is a reversal journal. Providers, bookings and payments are referred to by id
(plain UUID columns, no foreign keys), so no delete anywhere can cascade into the books."""

from __future__ import annotations

import uuid

from piccolo.columns import UUID, BigInt, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tenancy.tables import TenantRow


class LedgerJournal(Table, tablename="ledger_journal"):
    """One business event in the books; its entries sum to zero."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    kind = Varchar(length=24, index=True)
    """``capture``, ``refund``, ``deposit``, ``compensation``, ``bonus``, ``penalty``,
    ``netting``, ``payout``, ``reversal``, ``manual``."""
    about = Varchar(length=120, default="", index=True)
    """What the journal is about, e.g. ``payment:<id>`` or ``settlement:2026-12-01``."""
    event_key = Varchar(length=200, null=True, default=None)
    """Unique per tenant (a partial unique index): a second post with the key posts nothing."""
    memo = Text(default="")
    amount_fen = BigInt(default=0)
    """The headline amount (gross of a capture or refund, a payout's amount), for listings;
    the entries are the books."""
    at = Timestamptz(index=True)
    """When the event happened (business time, UTC)."""
    created_at = Timestamptz(default=TimestamptzNow())
    booking = UUID(null=True, default=None, index=True)
    provider = UUID(null=True, default=None, index=True)
    payment = UUID(null=True, default=None, index=True)
    reverses = UUID(null=True, default=None, index=True)
    """For a ``reversal``: the journal it cancels (at most one reversal each)."""


class LedgerEntry(Table, tablename="ledger_entry"):
    """One line of a journal: positive = debit, negative = credit, integer fen."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    journal = ForeignKey(references=LedgerJournal, null=False, index=True)
    account = Varchar(length=120, index=True)
    amount_fen = BigInt()
    at = Timestamptz(index=True)
    """The journal's time, repeated so balances at a date need no join."""
    kind = Varchar(length=24, default="")
    """The journal's kind, repeated for the same reason."""
    booking = UUID(null=True, default=None, index=True)


class LedgerLock(Table, tablename="ledger_lock"):
    """A row per lock key (``provider:<id>``, ``payment:<id>``): updating it serialises the
    checks that read balances before writing (refund <= capture, payable >= 0) on every
    engine, without engine-specific advisory locks."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    key = Varchar(length=120)
    version = Integer(default=0)


class Payout(Table, tablename="ledger_payout"):
    """Money sent to a provider by a settlement run (one per provider and period)."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    provider = UUID(index=True)
    period = Varchar(length=10)
    """The settlement date (tenant's calendar), ``YYYY-MM-DD``."""
    amount_fen = BigInt()
    status = Varchar(length=12, default="pending")
    """``pending`` (journal posted, adapter not yet confirmed), ``paid``, ``failed``
    (journal reversed)."""
    adapter = Varchar(length=40, default="")
    reference = Varchar(length=120, default="")
    """The payout adapter's reference for the transfer."""
    journal = UUID(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    paid_at = Timestamptz(null=True, default=None)


class SettlementRun(Table, tablename="ledger_settlement_run"):
    """One settlement run per tenant and period; a second run of the period finds it."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    period = Varchar(length=10)
    cutoff = Timestamptz()
    """Earnings entered before this moment are past the holding period."""
    started_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    providers = Integer(default=0)
    total_fen = BigInt(default=0)
