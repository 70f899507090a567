"""The database reads of matching, hand-written (``core.rawsql``): the profiles that may come,
their holding bookings around the job's day, their acceptance records. The rules that decide
live in ``core.matching.service``; these only fetch, with prefilters that never let through
less than the rules would."""

from __future__ import annotations

import functools
import json
import math
from datetime import datetime, timedelta
from typing import Any

from core import rawsql
from core.booking.states import HOLDING_STATES
from core.booking.tables import Booking, BookingTransition
from core.providers.tables import ProviderProfile


async def reliability_of(tenant_id: Any, ids: list[Any], since: datetime) -> dict[str, float]:
    """Acceptance (accepted / offers answered or expired), smoothed towards 0.9."""
    if not ids:
        return {}
    among, values = rawsql.ids_in(Booking, "b.provider", ids)
    rows = await rawsql.select(
        BookingTransition,
        f"SELECT {rawsql.text_id('b.provider', 'provider')}, t.to_state "  # noqa: S608
        "FROM booking_transition t JOIN booking_booking b ON b.id = t.booking "
        f"WHERE t.tenant = {{}} AND t.at >= {{}} AND {among} "
        "AND t.to_state IN ('accepted', 'declined', 'expired')",
        str(tenant_id),
        since,
        values,
    )
    counts: dict[str, list[int]] = {}
    for row in rows:
        tally = counts.setdefault(row["provider"], [0, 0])
        tally[1] += 1
        tally[0] += row["to_state"] == "accepted"
    return {pid: (accepted + 0.9 * 5) / (total + 5) for pid, (accepted, total) in counts.items()}


PROFILE_COLUMNS = (
    "area_lat, area_lng, area_radius_km, area_districts, working_hours, days_off, "
    "quality_score, rating_sum, rating_count"
)
KM_PER_DEGREE = 111.195
PROVIDER_HOLD_INDEX = "booking_booking_provider_hold_cover"
"""A provider's bookings by the end of their hold, carrying the hold's start, status and tenant
(booking migration 2026-11-26T12:00): the bookings still to end, not the provider's whole
history nor the tenant's, each filtered in the index before its row is read."""


def may_serve(point: tuple[float, float], district: str) -> tuple[str, list[Any]]:
    """SQL prefilter for ``in_area``, on both engines: the circle by a flat-earth distance with
    5 % and 1 km to spare (never stricter than the great circle up to 50 km radius, away from
    the poles and the antimeridian), or a district named in the list (``LIKE``: a superset)."""
    lat, lng = point
    kx = KM_PER_DEGREE * math.cos(math.radians(lat))
    dy = f"((area_lat - {{}}) * {KM_PER_DEGREE})"
    dx = f"((area_lng - {{}}) * {kx!r})"
    reach = "(area_radius_km * 1.05 + 1.0)"
    return (
        "((area_lat IS NOT NULL AND area_lng IS NOT NULL "
        f"AND {dy} * {dy} + {dx} * {dx} <= {reach} * {reach}) "
        "OR ({} <> '' AND area_districts LIKE {}))",
        [lat, lat, lng, lng, district, f"%{district}%"],
    )


def has_skill(ref: str) -> tuple[str, list[Any]]:
    """The provider has the item and is not suspended from it (an ``EXISTS`` on the skill's
    provider index: cheap per provider, whatever the size of the tenant)."""
    return (
        "EXISTS (SELECT 1 FROM providers_skill s WHERE s.provider = providers_profile.id "
        "AND s.item_ref = {} AND s.suspended = {})",
        [ref, False],
    )


def no_overlapping_hold(
    start: datetime, end: datetime, ignore: str | None
) -> tuple[str, list[Any]]:
    """No holding booking of the provider overlaps ``start``..``end`` (the job with its
    buffers): the same test as ``clear_of``, done by the database with its provider index."""
    states = ", ".join(f"'{s}'" for s in sorted(HOLDING_STATES))
    sql = (
        "NOT EXISTS (SELECT 1 FROM booking_booking b "  # noqa: S608 - values are parameters
        "WHERE b.provider = providers_profile.id "
        f"AND b.status IN ({states}) AND b.hold_start < {{}} AND b.hold_end > {{}}"
    )
    if ignore is None:
        return sql + ")", [end, start]
    return sql + " AND b.id <> {})", [end, start, ignore]


def _schedule(value: Any, default: Any) -> Any:
    """A working-hours or days-off column, parsed once per distinct text (most providers share
    a handful of schedules): the parsed value is shared, and matching only reads it."""
    if not isinstance(value, str):
        return default if value is None else value
    found = _parsed_text(value)
    return default if found is None else found


@functools.lru_cache(maxsize=4096)
def _parsed_text(text: str) -> Any:
    return json.loads(text) if text else None


async def profiles_meeting(
    tenant_id: str, named: list[str] | None, conditions: list[tuple[str, list[Any]]]
) -> list[dict[str, Any]]:
    """Active profiles of the tenant meeting every condition, among ``named`` if given; the
    JSON columns parsed once (``works_at`` reads them several times per provider)."""
    where = ["tenant = {}", "status = 'active'"]
    args: list[Any] = [str(tenant_id)]
    if named is not None:
        among, ids = rawsql.ids_in(ProviderProfile, "id", named)
        where.append(among)
        args.append(ids)
    for sql, values in conditions:
        where.append(sql)
        args += values
    rows = await rawsql.select(
        ProviderProfile,
        f"SELECT {rawsql.text_id('id', 'id')}, {PROFILE_COLUMNS} "  # noqa: S608
        f"FROM providers_profile WHERE {' AND '.join(where)}",
        *args,
    )
    return [prepared(row) for row in rows]


def prepared(row: dict[str, Any]) -> dict[str, Any]:
    """A profile row with its schedules parsed (in place), as ``works_at`` reads them."""
    row["working_hours"] = _schedule(row["working_hours"], {})
    row["days_off"] = _schedule(row["days_off"], [])
    return row


def bookings_around_sql(provider_ids: list[Any]) -> tuple[str, Any]:
    """The holding bookings of these providers within a time range: (SQL with placeholders for
    the tenant, the ids, the range's start and end; the ids' value). On SQLite it names the
    provider-and-hold-end index: statistics taken while the table was empty (a fresh install;
    a connection keeps the ones it opened with) make the planner walk the tenant index, every
    booking of the tenant, instead (6 ms at 20k bookings and growing; 0.02 ms with the index)."""
    among, ids = rawsql.ids_in(Booking, "provider", provider_ids)
    states = ", ".join(f"'{s}'" for s in sorted(HOLDING_STATES))
    return (
        f"SELECT {rawsql.text_id('id', 'id')}, {rawsql.text_id('provider', 'provider')}, "  # noqa: S608
        "starts_at, ends_at, hold_start, hold_end, point_enc "
        f"FROM booking_booking{rawsql.indexed_by(Booking, PROVIDER_HOLD_INDEX)} "
        f"WHERE tenant = {{}} AND {among} AND status IN ({states}) "
        "AND hold_end > {} AND hold_start < {}"
    ), ids


async def bookings_around(
    tenant_id: Any, provider_ids: list[Any], day_start: datetime, ignore_booking: str | None
) -> dict[str, list[dict[str, Any]]]:
    """The providers' holding bookings of the job's local day, half a day either side."""
    if not provider_ids:
        return {}
    sql, ids = bookings_around_sql(provider_ids)
    rows = await rawsql.select(
        Booking,
        sql,
        str(tenant_id),
        ids,
        day_start - timedelta(hours=12),
        day_start + timedelta(hours=36),
    )
    by_provider: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if ignore_booking is None or row["id"] != ignore_booking:
            by_provider.setdefault(row["provider"], []).append(row)
    return by_provider
