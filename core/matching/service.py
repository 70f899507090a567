"""Matching: which providers can do this job then and there, ranked, each with the reasons.

Eligible: the skill for the item; every required check passed and valid on the job date
(``core.verification.service.eligibility``); not suspended; inside the service area; working
then; free for the job plus travel from the previous job and to the next one.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core import rawsql
from core.booking.states import HOLDING_STATES
from core.booking.tables import Booking, BookingTransition
from core.catalog.model import TenantCatalog
from core.catalog.service import item_requirements
from core.dispatch.schemas import great_circle_km
from core.matching.index import candidate_index
from core.matching.ranking import (
    Candidate,
    Free,
    rank,
)
from core.matching.schemas import MatchCandidate
from core.privacy import service as privacy
from core.providers.service import parsed_json, works_at
from core.providers.tables import ProviderProfile, ProviderSkill
from core.tenancy.model import Tenant
from core.tenancy.schema import BookingPolicy
from core.tenancy.scoped import within_tenant
from core.verification.service import course_for, eligibility, load_checks_many

ROAD_FACTOR = 1.3


@dataclass(frozen=True)
class JobRequest:
    item_ref: str
    point: tuple[float, float]
    starts_at: datetime
    duration_minutes: int
    district: str = ""
    context: dict[str, bool] = field(default_factory=dict)
    more_items: tuple[str, ...] = ()
    """Further items of the same booking (one vertical): the provider must do all of them."""

    @property
    def item_refs(self) -> list[str]:
        return list(dict.fromkeys((self.item_ref, *self.more_items)))


def travel_minutes(a: tuple[float, float], b: tuple[float, float], speed_kmh: float) -> float:
    return great_circle_km(*a, *b) * ROAD_FACTOR / speed_kmh * 60


def in_area(
    profile: dict[str, Any], point: tuple[float, float], district: str
) -> tuple[bool, float]:
    """Inside the provider's circle (distance from its centre returned) or one of their
    districts: a profile may give both, and the area is their union."""
    km = 0.0
    if profile["area_lat"] is not None and profile["area_lng"] is not None:
        km = great_circle_km(profile["area_lat"], profile["area_lng"], *point)
        if km <= profile["area_radius_km"]:
            return True, km
    districts = {d for d in (profile["area_districts"] or "").split(",") if d}
    return (bool(district) and district in districts), km


@dataclass
class DayBookings:
    """A provider's holding bookings around the job (points decrypted on demand)."""

    rows: list[dict[str, Any]]
    tenant_id: str

    def point(self, row: dict[str, Any]) -> tuple[float, float]:
        lat, lng = privacy.unseal(
            row["point_enc"], field="booking.point", tenant_id=self.tenant_id
        ).split(",")
        return float(lat), float(lng)


def fits(
    bookings: DayBookings,
    profile: dict[str, Any],
    job: JobRequest,
    buffer: timedelta,
    speed_kmh: float,
    tz: ZoneInfo,
    home: tuple[float, float] | None,
    unknown_minutes: float,
) -> tuple[bool, float]:
    """Working for the whole job, no overlapping hold, and enough time to travel from the
    previous job (or ``home``) and to the next. Returns (fits, minutes of travel to the job)."""
    start = job.starts_at
    end = start + timedelta(minutes=job.duration_minutes)
    local_start, local_end = start.astimezone(tz), (end - timedelta(minutes=1)).astimezone(tz)
    if not (works_at(profile, local_start) and works_at(profile, local_end)):
        return False, 0.0
    return clear_of(bookings, home, job, buffer, speed_kmh, unknown_minutes)


def home_point(
    profile: dict[str, Any], policy: BookingPolicy, district: str
) -> tuple[float, float] | None:
    """Where the provider sets out from when no job comes before: their circle's centre; for a
    provider serving districts only, the centre of the job's district (the tenant's
    ``district_centres``), or None when the tenant gives none (``district_travel_minutes``
    then)."""
    if profile["area_lat"] is not None and profile["area_lng"] is not None:
        return float(profile["area_lat"]), float(profile["area_lng"])
    centre = policy.district_centres.get(district)
    return (float(centre[0]), float(centre[1])) if centre else None


def clear_of(
    bookings: DayBookings,
    home: tuple[float, float] | None,
    job: JobRequest,
    buffer: timedelta,
    speed_kmh: float,
    unknown_minutes: float,
) -> tuple[bool, float]:
    """No overlapping hold, and time to travel from the previous job (or ``home``; from an
    unknown place, ``unknown_minutes``) and on to the next. Returns (clear, minutes of travel
    to the job)."""
    start = job.starts_at
    end = start + timedelta(minutes=job.duration_minutes)
    hold_start, hold_end = start - buffer, end + buffer
    before = after = None
    for row in bookings.rows:
        if row["hold_start"] < hold_end and hold_start < row["hold_end"]:
            return False, 0.0
        if row["ends_at"] <= start and (before is None or row["ends_at"] > before["ends_at"]):
            before = row
        if row["starts_at"] >= end and (after is None or row["starts_at"] < after["starts_at"]):
            after = row
    origin = bookings.point(before) if before else home
    minutes = (
        travel_minutes(origin, job.point, speed_kmh) if origin is not None else unknown_minutes
    )
    if before and before["ends_at"] + timedelta(minutes=minutes) > start:
        return False, minutes
    if (
        after
        and end + timedelta(minutes=travel_minutes(job.point, bookings.point(after), speed_kmh))
        > after["starts_at"]
    ):
        return False, minutes
    return True, minutes


async def _reliability(tenant_id: Any, ids: list[Any], since: datetime) -> dict[str, float]:
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
PROVIDER_HOLD_INDEX = "booking_booking_provider_hold_end"
"""A provider's bookings by the end of their hold (booking migration 2026-11-26T06:00): the
bookings still to end, not the provider's whole history, nor the tenant's."""


def _may_serve(point: tuple[float, float], district: str) -> tuple[str, list[Any]]:
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


def _has_skill(ref: str) -> tuple[str, list[Any]]:
    """The provider has the item and is not suspended from it (an ``EXISTS`` on the skill's
    provider index: cheap per provider, whatever the size of the tenant)."""
    return (
        "EXISTS (SELECT 1 FROM providers_skill s WHERE s.provider = providers_profile.id "
        "AND s.item_ref = {} AND s.suspended = {})",
        [ref, False],
    )


def _could_come(
    profile: dict[str, Any], job: JobRequest, tz: ZoneInfo, radius_km: float | None
) -> bool:
    """The rules that need nothing but the profile row (inside the area, within the radius
    asked for, working for the whole job), before checks and bookings are loaded for it;
    ``fits`` and ``in_area`` apply them again."""
    inside, km = in_area(profile, job.point, job.district)
    if not inside or (radius_km is not None and km > radius_km):
        return False
    end = job.starts_at + timedelta(minutes=job.duration_minutes - 1)
    return works_at(profile, job.starts_at.astimezone(tz)) and works_at(profile, end.astimezone(tz))


def _no_overlapping_hold(
    start: datetime, end: datetime, ignore: str | None
) -> tuple[str, list[Any]]:
    """No holding booking of the provider overlaps ``start``..``end`` (the job with its
    buffers): the same test as ``fits``, done by the database with its provider index."""
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
        return parsed_json(value, default)
    found = _parsed_text(value)
    return default if found is None else found


@functools.lru_cache(maxsize=4096)
def _parsed_text(text: str) -> Any:
    return parsed_json(text, None)


async def _profiles(
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
    for row in rows:
        row["working_hours"] = _schedule(row["working_hours"], {})
        row["days_off"] = _schedule(row["days_off"], [])
    return rows


@within_tenant
async def find_candidates(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    job: JobRequest,
    now: datetime | None = None,
    exclude: set[str] | None = None,
    radius_km: float | None = None,
    ignore_booking: str | None = None,
    only: str | None = None,
    ranking: bool = True,
    limit: int | None = None,
) -> list[Candidate]:
    """Every provider who can do the job, best first, each with an explanation of the score
    (``limit``: the best ones only; ``core.matching.ranking.rank`` then looks up the checks of
    the most promising first). ``only``: just this provider (is the one the customer chose
    still able to come?).
    ``ranking=False``: the caller needs eligibility only, not the order: the reliability
    factor is not looked up (every score carries its prior, 0.9)."""
    now = now or datetime.now(UTC)
    refs = job.item_refs
    items = [catalog.item(ref) for ref in refs]
    if any(i is None for i in items):
        return []
    item = items[0]
    assert item is not None
    policy = tenant.config.policies.booking
    tz = ZoneInfo(tenant.config.timezone)
    buffer = timedelta(minutes=policy.travel_buffer_minutes)
    hold_start = job.starts_at - buffer
    hold_end = job.starts_at + timedelta(minutes=job.duration_minutes) + buffer
    skip = exclude or set()
    # The candidate index (``core.matching.index``) names the providers with the skills whose
    # area may hold the point; one query then narrows the field before anything is loaded per
    # provider: active, every skill (not suspended), possibly inside the area, no overlapping
    # hold. The exact rules below decide; these conditions only ever let through more than
    # they should. Cheapest first: the profile row's rules, then the day's bookings (free and
    # time to travel), then the checks of those still in, then the ranking.
    conditions = [
        _may_serve(job.point, job.district),
        _no_overlapping_hold(hold_start, hold_end, ignore_booking),
        *(_has_skill(ref) for ref in refs),
    ]
    named: list[str] | None = None
    if only is not None:
        named = [only]
    elif (index := await candidate_index(tenant_id)) is not None:
        named = [pid for pid in index.near(refs, job.point, job.district) if pid not in skip]
        if not named:
            return []
    profiles = [
        p
        for p in await _profiles(tenant_id, named, conditions)
        if p["id"] not in skip and _could_come(p, job, tz, radius_km)
    ]
    if not profiles:
        return []
    # Certificates run through a local date: the job's date is the tenant's, not UTC's.
    job_date = job.starts_at.astimezone(tz).date()
    day_start = _local_day_start(tenant, job.starts_at)
    day_end = day_start + timedelta(days=1)
    by_provider = await _bookings_around(
        tenant_id, [p["id"] for p in profiles], day_start, ignore_booking
    )
    free: list[Free] = []
    for profile in profiles:
        inside, km = in_area(profile, job.point, job.district)
        if not inside or (radius_km is not None and km > radius_km):
            continue
        day = DayBookings(by_provider.get(profile["id"], []), tenant_id)
        home = home_point(profile, policy, job.district)
        ok, minutes = fits(
            day,
            profile,
            job,
            buffer,
            tenant.config.travel_speed_kmh,
            tz,
            home,
            policy.district_travel_minutes,
        )
        if ok:
            load_today = sum(1 for row in day.rows if day_start <= row["starts_at"] < day_end)
            free.append(Free(profile, km, minutes, load_today, home))
    if not free:
        return []
    requirements = {
        ref: item_requirements(plugins, tenant, i) for ref, i in zip(refs, items, strict=True) if i
    }
    course = course_for(plugins, tenant, item.vertical)

    async def allowed(batch: list[Free]) -> list[Free]:
        """Those whose checks, certificates and training allow every item on the job date."""
        checks = await load_checks_many(tenant_id, [f.provider_id for f in batch])
        return [
            f
            for f in batch
            if (state := checks.get(f.provider_id)) is not None
            and all(
                eligibility(
                    state,
                    ref,
                    needed,
                    on=job.starts_at,
                    course=course,
                    context=job.context,
                    today=job_date,
                ).ok
                for ref, needed in requirements.items()
            )
        ]

    async def acceptance(batch: list[Free]) -> dict[str, float]:
        return await _reliability(
            tenant_id, [f.provider_id for f in batch], now - timedelta(days=90)
        )

    hooks = plugins.for_tenant(tenant)

    def adjust(c: MatchCandidate) -> list[tuple[str, float, str]]:
        return [
            (a.code, a.delta, a.reason)
            for found in hooks.match_score_adjustments(candidate=c)
            for a in found or []
        ]

    return await rank(
        free,
        eligible=allowed,
        reliability=acceptance if ranking else None,
        adjust=adjust if hooks.implemented("match_score_adjustments") else None,
        vertical=item.vertical,
        item_ref=job.item_ref,
        limit=limit,
    )


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


async def _bookings_around(
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


def _local_day_start(tenant: Tenant, moment: datetime) -> datetime:
    tz = ZoneInfo(tenant.config.timezone)
    return datetime.combine(moment.astimezone(tz).date(), time(0), tz).astimezone(UTC)


@within_tenant
async def still_clear(
    tenant: Tenant,
    tenant_id: str,
    candidate: Candidate,
    job: JobRequest,
    ignore_booking: str | None = None,
) -> bool:
    """Inside the write transaction, just before the hold is written: the candidate (found by
    ``find_candidates`` a moment ago) still has no overlapping hold and the time to travel
    from the previous job and to the next. The part of eligibility concurrent bookings change,
    in one query; the single writer (SQLite) or the exclusion constraint (PostgreSQL) makes it
    final."""
    policy = tenant.config.policies.booking
    rows = await _bookings_around(
        tenant_id,
        [candidate.provider_id],
        _local_day_start(tenant, job.starts_at),
        ignore_booking,
    )
    ok, _ = clear_of(
        DayBookings(rows.get(candidate.provider_id, []), tenant_id),
        candidate.home,
        job,
        timedelta(minutes=policy.travel_buffer_minutes),
        tenant.config.travel_speed_kmh,
        policy.district_travel_minutes,
    )
    return ok


async def serves_area(
    tenant_id: str, item_ref: str, point: tuple[float, float], district: str = ""
) -> bool:
    """Whether any active provider with the skill covers the address at all (at any time):
    tells "nobody serves this address" apart from "nobody is free then"."""
    skilled = await ProviderSkill.select(ProviderSkill.provider).where(
        (ProviderSkill.tenant == tenant_id)
        & (ProviderSkill.item_ref == item_ref)
        & (ProviderSkill.suspended == False)  # noqa: E712 - a column comparison
    )
    if not skilled:
        return False
    profiles = await ProviderProfile.select(
        ProviderProfile.area_lat,
        ProviderProfile.area_lng,
        ProviderProfile.area_radius_km,
        ProviderProfile.area_districts,
    ).where(
        (ProviderProfile.tenant == tenant_id)
        & ProviderProfile.id.is_in([row["provider"] for row in skilled])
        & (ProviderProfile.status == "active")
    )
    return any(in_area(profile, point, district)[0] for profile in profiles)


def day_slots(tenant: Tenant, day: date, now: datetime) -> list[datetime]:
    """Start times offered on ``day``, every step between the tenant's day start and end,
    never before now + the lead time."""
    policy = tenant.config.policies.booking
    tz = ZoneInfo(tenant.config.timezone)
    first = datetime.combine(day, time.fromisoformat(policy.day_starts), tz)
    last = datetime.combine(day, time.fromisoformat(policy.day_ends), tz)
    earliest = now + timedelta(minutes=policy.lead_time_minutes)
    step = timedelta(minutes=policy.slot_step_minutes)
    slots = []
    moment = first
    while moment <= last:
        if moment >= earliest:
            slots.append(moment.astimezone(UTC))
        moment += step
    return slots


@within_tenant
async def available_slots(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    *,
    item_ref: str,
    point: tuple[float, float],
    day: date,
    duration_minutes: int,
    district: str = "",
    provider_id: str | None = None,
    now: datetime | None = None,
) -> list[tuple[datetime, int]]:
    """The start times on ``day`` that some eligible provider (or the chosen one) can reach,
    with how many providers could come."""
    now = now or datetime.now(UTC)
    out = []
    for start in day_slots(tenant, day, now):
        job = JobRequest(
            item_ref=item_ref,
            point=point,
            starts_at=start,
            duration_minutes=duration_minutes,
            district=district,
        )
        # Counting only: the order (and the acceptance records it needs) does not matter.
        candidates = await find_candidates(
            plugins, tenant, tenant_id, catalog, job, now=now, only=provider_id, ranking=False
        )
        if candidates:
            out.append((start, len(candidates)))
    return out


def distance_label(km: float) -> str:
    return f"{km:.1f} km" if km >= 1 else f"{math.ceil(km * 1000 / 50) * 50} m"
