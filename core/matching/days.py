"""The providers' holding bookings of a few days, kept in memory beside the candidate index.

Matching a job needs, for every provider near it, their holding bookings around the job's day
(is the provider free, is there time to travel from the job before and to the one after). At
100,000 providers that is about a thousand providers and a few thousand rows per request: read
from the database each time, the rows alone cost more than the rest of the request. So the
index (``core.matching.index``) keeps, per tenant-local day asked about, every holding booking
of the tenant in that day's window, by provider, with the point decrypted on first use.

It stays current the way the index does: every booking write names its provider in the
tenant's matching version (``bump_matching_version(..., holds=True)``), and the index reloads
the holds of just those providers for the days it keeps. Staleness could only ever offer a
time that is no longer free, and the write path checks again in the database before it holds
the time (``still_clear`` in the single writer on SQLite, the exclusion constraint on
PostgreSQL): a stale schedule can never double-book.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from core import rawsql
from core.booking.states import HOLDING_STATES
from core.booking.tables import Booking
from core.matching import queries
from core.matching.vector import DayFrame

BEFORE, AFTER = timedelta(hours=12), timedelta(hours=36)
"""A day's window around its local midnight: the rows ``queries.bookings_around`` reads."""
KEEP_DAYS = 14
"""Days kept per tenant (the least recently asked about goes first)."""
Rows = dict[str, list[dict[str, Any]]]


def _by_provider(rows: list[dict[str, Any]]) -> Rows:
    out: Rows = {}
    for row in rows:
        out.setdefault(row["provider"], []).append(row)
    return out


async def _tenant_holds(tenant_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Every holding booking of the tenant whose hold meets ``start``..``end``."""
    states = ", ".join(f"'{s}'" for s in sorted(HOLDING_STATES))
    return await rawsql.select(
        Booking,
        f"SELECT {rawsql.text_id('id', 'id')}, {rawsql.text_id('provider', 'provider')}, "  # noqa: S608
        "starts_at, ends_at, hold_start, hold_end, point_enc FROM booking_booking "
        f"WHERE tenant = {{}} AND status IN ({states}) AND hold_end > {{}} AND hold_start < {{}}",
        tenant_id,
        start,
        end,
    )


class DaySchedules:
    """One tenant's days: local midnight (UTC) -> provider id -> holding bookings."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.days: OrderedDict[datetime, Rows] = OrderedDict()
        self.frames: dict[datetime, DayFrame] = {}
        """The days laid out as arrays (``core.matching.vector``), made when first asked."""

    def frame(self, day_start: datetime, at: dict[str, int]) -> DayFrame:
        """The day (kept: ``cached`` or ``load`` first) as arrays, laid out again once many
        of its providers changed since."""
        found = self.frames.get(day_start)
        if found is None or found.worn():
            from core.matching.service import DayBookings  # it imports the index: no cycle

            point = DayBookings([], self.tenant_id).point
            found = self.frames[day_start] = DayFrame.lay_out(self.days[day_start], at, point)
        return found

    def cached(self, day_start: datetime) -> Rows | None:
        found = self.days.get(day_start)
        if found is not None:
            self.days.move_to_end(day_start)
        return found

    async def load(self, day_start: datetime) -> Rows:
        """The day from the database (every provider's holds in its window), kept."""
        rows = _by_provider(
            await _tenant_holds(self.tenant_id, day_start - BEFORE, day_start + AFTER)
        )
        self.days[day_start] = rows
        self.days.move_to_end(day_start)
        self.frames.pop(day_start, None)
        while len(self.days) > KEEP_DAYS:
            gone, _ = self.days.popitem(last=False)
            self.frames.pop(gone, None)
        return rows

    async def reload(self, providers: set[str]) -> None:
        """These providers' holds again, for every day kept (one query for them all)."""
        if not self.days or not providers:
            return
        first = min(self.days) - BEFORE
        last = max(self.days) + AFTER
        sql, ids = queries.bookings_around_sql(sorted(providers))
        rows = await rawsql.select(Booking, sql, self.tenant_id, ids, first, last)
        for day_start, day in self.days.items():
            start, end = day_start - BEFORE, day_start + AFTER
            fresh = _by_provider(
                [r for r in rows if r["hold_end"] > start and r["hold_start"] < end]
            )
            for provider in providers:
                if provider in fresh:
                    day[provider] = fresh[provider]
                else:
                    day.pop(provider, None)
            if (frame := self.frames.get(day_start)) is not None:
                frame.stale |= providers

    def forget(self) -> None:
        self.days.clear()
        self.frames.clear()
