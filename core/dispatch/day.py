"""A day of bookings as a routing problem: which jobs, which providers, which rules.

Read from the booking tables through the scoped helper. Jobs: the day's bookings (tenant time
zone) that still need doing. Jobs under way (en route, arrived, in progress) and jobs offered to
the provider the customer chose stay with their provider; accepted jobs too, unless the tenant
lets plans move them (``policies.dispatch.move_accepted``) and then only inside the window.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.booking.tables import Booking
from core.dispatch.schemas import (
    DayProblem,
    PlanBreak,
    PlanJob,
    PlanProvider,
    TravelTimeEstimator,
)
from core.privacy import service as privacy
from core.providers.service import WEEKDAYS
from core.providers.tables import ProviderProfile, ProviderSkill
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped

OPEN_STATES = ("requested", "declined", "offered", "accepted", "en_route", "arrived", "in_progress")
STARTED_STATES = frozenset({"en_route", "arrived", "in_progress"})


@dataclass(frozen=True)
class DayInput:
    """The problem plus what turns it back into bookings, people and places."""

    day: date
    area: str
    origin: datetime
    """Second 0 of the problem's clock: the day's local midnight, as aware UTC."""
    problem: DayProblem
    points: list[tuple[float, float]]
    """Matrix rows: providers' home points first, then jobs."""
    bookings: dict[str, dict[str, Any]]
    started: frozenset[str]

    def at(self, seconds: int) -> datetime:
        return self.origin + timedelta(seconds=seconds)

    def seconds(self, moment: datetime) -> int:
        return int((moment - self.origin).total_seconds())


def origin_of(tenant: Tenant, day: date) -> datetime:
    from datetime import UTC

    zone = ZoneInfo(tenant.config.timezone)
    return datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)


def _clock(text: str) -> int:
    parsed = time.fromisoformat(text)
    return parsed.hour * 3600 + parsed.minute * 60


def _json(value: Any, default: Any) -> Any:
    return (
        json.loads(value) if isinstance(value, str) else (value if value is not None else default)
    )


async def day_input(
    tenant: Tenant,
    tenant_id: Any,
    day: date,
    estimator: TravelTimeEstimator,
    area: str = "",
    extra: list[dict[str, Any]] | None = None,
) -> DayInput:
    """Everything the plan of ``day`` needs, read now. ``extra``: booking rows to add (an
    urgent job not on the day's list yet)."""
    policy = tenant.config.policies.dispatch
    origin = origin_of(tenant, day)
    query = (
        scoped(Booking, tenant_id)
        .select()
        .where(
            (Booking.starts_at >= origin)
            & (Booking.starts_at < origin + timedelta(days=1))
            & Booking.status.is_in(list(OPEN_STATES))
        )
    )
    if area:
        query = query.where(Booking.district == area)
    rows = [*await query.order_by(Booking.starts_at), *(extra or [])]
    bookings = {str(r["id"]): r for r in rows}

    profiles = (
        await scoped(ProviderProfile, tenant_id)
        .select(
            ProviderProfile.id,
            ProviderProfile.area_lat,
            ProviderProfile.area_lng,
            ProviderProfile.area_districts,
            ProviderProfile.working_hours,
            ProviderProfile.days_off,
        )
        .where(ProviderProfile.status == "active")
    )
    skills: dict[str, set[str]] = {}
    for row in (
        await scoped(ProviderSkill, tenant_id)
        .select(ProviderSkill.provider, ProviderSkill.item_ref)
        .where(ProviderSkill.suspended.eq(False))
    ):
        skills.setdefault(str(row["provider"]), set()).add(row["item_ref"])

    weekday = WEEKDAYS[day.weekday()]
    points: list[tuple[float, float]] = []
    providers: list[PlanProvider] = []
    pause = None
    if policy.break_minutes:
        window = (_clock(policy.break_window[0]), _clock(policy.break_window[1]))
        pause = PlanBreak(window=window, duration_s=policy.break_minutes * 60)
    for p in profiles:
        hours = _json(p["working_hours"], {}).get(weekday)
        if not hours or day.isoformat() in _json(p["days_off"], []) or p["area_lat"] is None:
            continue
        if area and p["area_districts"] and area not in p["area_districts"].split(","):
            continue
        home = len(points)
        points.append((float(p["area_lat"]), float(p["area_lng"])))
        providers.append(
            PlanProvider(
                id=str(p["id"]),
                start=home,
                end=home,
                shift=(_clock(hours[0]), _clock(hours[1])),
                skills=frozenset(skills.get(str(p["id"]), ())),
                max_jobs=policy.max_jobs_per_provider,
                breaks=(pause,) if pause else (),
            )
        )

    tolerance = policy.arrival_tolerance_minutes * 60
    jobs: list[PlanJob] = []
    started = set()
    for booking_id, row in bookings.items():
        lat, lng = privacy.unseal(
            row["point_enc"], field="booking.point", tenant_id=tenant_id
        ).split(",")
        location = len(points)
        points.append((float(lat), float(lng)))
        begin = int((row["starts_at"] - origin).total_seconds())
        latest = row["window_end"] or row["starts_at"]
        close = max(int((latest - origin).total_seconds()), begin + tolerance)
        items = _json(row["items"], [])
        status = row["status"]
        if status in STARTED_STATES:
            started.add(booking_id)
        keep = (
            status in STARTED_STATES
            or status == "offered"
            or (status == "accepted" and not policy.move_accepted)
        )
        pinned = str(row["provider"]) if row["provider"] is not None and keep else None
        jobs.append(
            PlanJob(
                id=booking_id,
                location=location,
                service_s=int((row["ends_at"] - row["starts_at"]).total_seconds()),
                window=(begin, close),
                skills=frozenset(i["item"] for i in items),
                provider=pinned,
                urgent=bool(row["urgent"]),
            )
        )
    matrix = await estimator.matrix(points)
    problem = DayProblem(jobs=tuple(jobs), providers=tuple(providers), matrix=matrix)
    return DayInput(
        day=day,
        area=area,
        origin=origin,
        problem=problem,
        points=points,
        bookings=bookings,
        started=frozenset(started),
    )
