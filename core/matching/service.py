"""Matching: which providers can do this job then and there, ranked, each with the reasons.

Eligible: the skill for the item; every required check passed and valid on the job date
(``core.verification.eligibility.eligibility``); not suspended; inside the service area; working
then; free for the job plus travel from the previous job and to the next one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.catalog.model import TenantCatalog
from core.catalog.service import item_requirements
from core.dispatch.schemas import great_circle_km
from core.matching import queries, vector
from core.matching.index import candidate_index, holds_of_day
from core.matching.ranking import (
    Candidate,
    Free,
    rank,
)
from core.matching.schemas import MatchCandidate
from core.privacy import service as privacy
from core.providers.service import works_at
from core.providers.tables import ProviderProfile, ProviderSkill
from core.tenancy.model import Tenant
from core.tenancy.schema import BookingPolicy
from core.tenancy.scoped import within_tenant
from core.verification.eligibility import course_for, eligibility, load_checks_many

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
        """The booking's point, decrypted once (kept in the row: the day schedules in memory
        are read by many requests)."""
        found: tuple[float, float] | None = row.get("point")
        if found is None:
            lat, lng = privacy.unseal(
                row["point_enc"], field="booking.point", tenant_id=self.tenant_id
            ).split(",")
            found = row["point"] = (float(lat), float(lng))
        return found


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


class _Hours:
    """Whether a provider works for the whole job (its first and last minute), decided once
    per distinct schedule: most providers share a handful, and each text is parsed once into
    one shared value (``queries.prepared``), so the pair of values names the schedule."""

    def __init__(self, job: JobRequest, tz: ZoneInfo) -> None:
        end = job.starts_at + timedelta(minutes=job.duration_minutes - 1)
        self.first, self.last = job.starts_at.astimezone(tz), end.astimezone(tz)
        self.known: dict[tuple[int, int], bool] = {}

    def cover(self, profile: dict[str, Any]) -> bool:
        key = (id(profile["working_hours"]), id(profile["days_off"]))
        found = self.known.get(key)
        if found is None:
            found = self.known[key] = works_at(profile, self.first) and works_at(profile, self.last)
        return found


def _reach(
    profile: dict[str, Any], job: JobRequest, radius_km: float | None, hours: _Hours
) -> float | None:
    """The rules that need nothing but the profile row (inside the area, within the radius
    asked for, working for the whole job), before the provider's bookings and checks are
    looked at: the distance from the area's centre, or None when the provider cannot come."""
    inside, km = in_area(profile, job.point, job.district)
    if not inside or (radius_km is not None and km > radius_km):
        return None
    return km if hours.cover(profile) else None


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
    holds_later: bool = False,
) -> list[Candidate]:
    """Every provider who can do the job, best first, each with an explanation of the score
    (``limit``: the best ones only; ``core.matching.ranking.rank`` then looks up the checks of
    the most promising first). ``only``: just this provider (is the one the customer chose
    still able to come?).
    ``ranking=False``: the caller needs eligibility only, not the order: the reliability
    factor is not looked up (every score carries its prior, 0.9).
    ``holds_later``: the caller checks the provider's holds itself, in its write transaction
    (``still_clear``, the same rule): for ``only``, a day the index does not keep is not read
    here as well (the booking path would read it twice)."""
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
    # The candidate index (``core.matching.index``, kept current by the tenant's matching
    # version) holds in memory the providers' profiles and skills and the holds of the days
    # asked about: it names the active providers with the skills whose area may hold the point.
    # For one chosen provider (the booking path) their profile and checks come from the index
    # too, their day's holds from memory if the day is there, else from the database. Without
    # an index yet (a tenant with no version), one query narrows the field instead: active,
    # every skill (not suspended), possibly inside the area, no overlapping hold. The exact
    # rules below decide; both only ever let through more than they should. Cheapest first:
    # the profile row's rules, then the day's bookings (free and time to travel), then the
    # checks of those still in, then the ranking.
    day_start = _local_day_start(tenant, job.starts_at)
    day_end = day_start + timedelta(days=1)
    # The booking path (one provider, holds checked in its write) needs the index's profiles
    # current, not its holds: the request's counters may spare the version read.
    profiles_only = only is not None and holds_later
    index = await candidate_index(tenant_id, profiles_only=profiles_only)
    speed = tenant.config.travel_speed_kmh

    def one_by_one(profile: dict[str, Any], km: float, rows: list[dict[str, Any]]) -> Free | None:
        """Free for the job (no overlapping hold, time to travel), from their day's rows."""
        day = DayBookings(rows, tenant_id)
        home = home_point(profile, policy, job.district)
        ok, minutes = clear_of(day, home, job, buffer, speed, policy.district_travel_minutes)
        if not ok:
            return None
        load_today = sum(1 for row in day.rows if day_start <= row["starts_at"] < day_end)
        return Free(profile, km, minutes, load_today, home)

    hours = _Hours(job, tz)
    if index is not None and only is None and ignore_booking is None:
        # From the index's memory, every rule at once over its arrays (``core.matching.vector``).
        day = await holds_of_day(tenant_id, index, day_start)
        centre = policy.district_centres.get(job.district)
        trip = vector.Trip(
            job=job,
            first=hours.first,
            last=hours.last,
            buffer=buffer,
            road_factor=ROAD_FACTOR,
            speed_kmh=speed,
            unknown_minutes=policy.district_travel_minutes,
            district_home=(float(centre[0]), float(centre[1])) if centre else None,
            radius_km=radius_km,
            day_start=day_start,
            day_end=day_end,
        )
        free = vector.reachable(
            index, day, index.days.frame(day_start, index.at), trip, skip, one_by_one
        )
    else:
        if index is not None and only is not None:
            profiles = index.chosen(only, refs)
        elif index is not None:
            profiles = index.able(refs, job.point, job.district)
        else:
            named = None if only is None else [only]
            conditions = [
                queries.may_serve(job.point, job.district),
                queries.no_overlapping_hold(hold_start, hold_end, ignore_booking),
                *(queries.has_skill(ref) for ref in refs),
            ]
            profiles = await queries.profiles_meeting(tenant_id, named, conditions)
        reachable = [
            (p, km)
            for p in profiles
            if p["id"] not in skip and (km := _reach(p, job, radius_km, hours)) is not None
        ]
        if not reachable:
            return []
        if index is not None and (
            only is None or (not profiles_only and index.days.cached(day_start) is not None)
        ):
            held = await holds_of_day(tenant_id, index, day_start)
            by_provider = {
                p["id"]: [r for r in held.get(p["id"], []) if r["id"] != ignore_booking]
                for p, _ in reachable
            }
        elif only is not None and holds_later:
            by_provider = {}  # judged from home here; the holds in the caller's write
        else:
            by_provider = await queries.bookings_around(
                tenant_id, [p["id"] for p, _ in reachable], day_start, ignore_booking
            )
        free = [
            found
            for p, km in reachable
            if (found := one_by_one(p, km, by_provider.get(p["id"], []))) is not None
        ]
    # Certificates run through a local date: the job's date is the tenant's, not UTC's.
    job_date = job.starts_at.astimezone(tz).date()
    if not free:
        return []
    requirements = {
        ref: item_requirements(plugins, tenant, i) for ref, i in zip(refs, items, strict=True) if i
    }
    course = course_for(plugins, tenant, item.vertical)

    async def allowed(batch: list[Free]) -> list[Free]:
        """Those whose checks, certificates and training allow every item on the job date."""
        ids = [f.provider_id for f in batch]
        checks = index.checks if index is not None else await load_checks_many(tenant_id, ids)
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
        return await queries.reliability_of(
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
    rows = await queries.bookings_around(
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
