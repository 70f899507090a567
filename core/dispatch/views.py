"""Day plans as people see them: a provider's route and a customer's arrival window (the
dispatcher's board is ``core.dispatch.board``), and the reading helpers both use. Read models
only (the rules are in ``service``): plans come from ``service.stored_plan``, arrival windows
from ``service.booking_arrival``.

Personal data: the provider sees a stop's full address and a "navigate" link only while the job
is theirs to do (accepted to in progress), read through ``privacy.reveal`` so it is in the
audit log; a stop only planned for them shows the district. The dispatcher sees districts.
Maps are drawn from the stored points, with no address written on them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.booking.states import ACTIVE_STATES
from core.booking.tables import Booking
from core.dispatch import service
from core.dispatch.day import origin_of
from core.dispatch.geo import PALETTE, MapRoute, NavigateLinks, navigate_links, route_svg
from core.dispatch.tables import DispatchPlan
from core.privacy import service as privacy
from core.providers.tables import ProviderProfile
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped

ARRIVAL_STATES = frozenset({"accepted", "en_route"})
"""Bookings whose page shows the planned arrival window (before the provider is there)."""

Point = tuple[float, float]


def local_today(tenant: Tenant, now: datetime) -> date:
    return now.astimezone(ZoneInfo(tenant.config.timezone)).date()


def day_bounds(tenant: Tenant, day: date) -> tuple[datetime, datetime]:
    start = origin_of(tenant, day)
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class Job:
    """A booking on a plan, as anyone on the page may see it (no address)."""

    id: str
    item: str
    tier: str
    status: str
    district: str
    starts_at: datetime
    ends_at: datetime
    window_end: datetime | None
    urgent: bool
    provider_id: str | None


def json_value(value: Any, default: Any) -> Any:
    if isinstance(value, str):
        return json.loads(value)
    return default if value is None else value


def job_of(row: dict[str, Any]) -> Job:
    items = json_value(row["items"], [])
    first = items[0] if items else {}
    return Job(
        id=str(row["id"]),
        item=first.get("item", ""),
        tier=first.get("tier", ""),
        status=row["status"],
        district=row["district"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        window_end=row["window_end"],
        urgent=bool(row["urgent"]),
        provider_id=str(row["provider"]) if row["provider"] else None,
    )


JOB_COLUMNS = (
    Booking.id,
    Booking.items,
    Booking.status,
    Booking.district,
    Booking.starts_at,
    Booking.ends_at,
    Booking.window_end,
    Booking.urgent,
    Booking.provider,
    Booking.customer,
    Booking.point_enc,
    Booking.address_enc,
)


async def bookings_by_id(tenant_id: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    rows = await scoped(Booking, tenant_id).select(*JOB_COLUMNS).where(Booking.id.is_in(ids))
    return {str(r["id"]): r for r in rows}


def point_of(tenant_id: Any, row: dict[str, Any]) -> Point:
    lat, lng = privacy.unseal(row["point_enc"], field="booking.point", tenant_id=tenant_id).split(
        ","
    )
    return float(lat), float(lng)


async def homes_of(tenant_id: Any, ids: list[str]) -> dict[str, Point]:
    if not ids:
        return {}
    rows = (
        await scoped(ProviderProfile, tenant_id)
        .select(ProviderProfile.id, ProviderProfile.area_lat, ProviderProfile.area_lng)
        .where(ProviderProfile.id.is_in(ids))
    )
    return {
        str(r["id"]): (float(r["area_lat"]), float(r["area_lng"]))
        for r in rows
        if r["area_lat"] is not None and r["area_lng"] is not None
    }


def plan_origin(plan: dict[str, Any]) -> datetime:
    origin: datetime = plan["origin"]
    return origin if origin.tzinfo else origin.replace(tzinfo=UTC)


async def current_plans(tenant_id: Any, day: date) -> list[dict[str, Any]]:
    """The day's current plans (the whole city and any district planned on its own), newest
    first, each in ``service.stored_plan``'s shape."""
    rows = (
        await scoped(DispatchPlan, tenant_id)
        .select(DispatchPlan.area)
        .where((DispatchPlan.day == day.isoformat()) & (DispatchPlan.status == "current"))
    )
    plans = []
    for area in sorted({r["area"] for r in rows}):
        found = await service.stored_plan(tenant_id, day, area)
        if found is not None:
            plans.append(found)
    return sorted(plans, key=lambda p: p["created_at"], reverse=True)


# --- the provider's day -----------------------------------------------------------------------


@dataclass(frozen=True)
class RouteStop:
    seq: int
    """1, 2, ... in visiting order (the number on the map)."""
    job: Job
    arrival: datetime
    start: datetime
    end: datetime
    confirmed: bool
    """The job is the provider's to do: address and navigate link shown."""
    address: str | None = None
    navigate: NavigateLinks | None = None
    leave_by: datetime | None = None
    """When to set off from the stop before (or from home) to start on time, by the plan."""


@dataclass(frozen=True)
class RouteBreak:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ProviderDay:
    day: date
    planned: bool
    """From a dispatcher's plan (else: the provider's own jobs at their booked times)."""
    planned_at: datetime | None
    steps: list[RouteStop | RouteBreak]
    others: list[RouteStop]
    """The provider's jobs of the day that the plan does not have yet."""
    depart: datetime | None
    back: datetime | None
    km: float | None
    svg: str

    @property
    def stops(self) -> list[RouteStop]:
        return [s for s in self.steps if isinstance(s, RouteStop)]


async def provider_day(
    tenant: Tenant, tenant_id: Any, provider_id: str, user_id: str, day: date
) -> ProviderDay:
    """The provider's route of ``day``: their route in the newest current plan that has one,
    then any of their jobs that plan does not have; with no plan, their jobs in booked order."""
    route, plan = None, None
    for candidate in await current_plans(tenant_id, day):
        route = next((r for r in candidate["routes"] if r["provider"] == provider_id), None)
        if route is not None:
            plan = candidate
            break
    start, end = day_bounds(tenant, day)
    mine = (
        await scoped(Booking, tenant_id)
        .select(Booking.id)
        .where(
            (Booking.provider == provider_id)
            & (Booking.starts_at >= start)
            & (Booking.starts_at < end)
            & Booking.status.is_in(sorted(ACTIVE_STATES))
        )
        .order_by(Booking.starts_at)
    )
    my_ids = [str(r["id"]) for r in mine]
    planned_ids = [s["job"] for s in route["stops"] if s["job"]] if route else []
    rows = await bookings_by_id(
        tenant_id, [*planned_ids, *[i for i in my_ids if i not in planned_ids]]
    )

    async def stop(
        seq: int, row: dict[str, Any], times: tuple[datetime, ...], leave: datetime | None = None
    ) -> RouteStop:
        job = job_of(row)
        confirmed = job.provider_id == provider_id and job.status in ACTIVE_STATES
        address = navigate = None
        if confirmed:
            address = await privacy.reveal(
                row["address_enc"],
                field="booking.address",
                tenant_id=tenant_id,
                subject_id=row["customer"],
                reader=privacy.Reader(user_id, "provider", f"day route, booking {job.id}"),
            )
            navigate = navigate_links(*point_of(tenant_id, row), label=job.district or "")
        arrival, begin, finish = times
        return RouteStop(seq, job, arrival, begin, finish, confirmed, address, navigate, leave)

    steps: list[RouteStop | RouteBreak] = []
    others: list[RouteStop] = []
    if route is not None and plan is not None:
        origin = plan_origin(plan)
        free = route["depart"]  # the plan's clock: when the provider is free to set off
        for s in route["stops"]:
            at = (
                origin + timedelta(seconds=s["arrival"]),
                origin + timedelta(seconds=s["start"]),
                origin + timedelta(seconds=s["end"]),
            )
            if not s["job"]:
                steps.append(RouteBreak(at[1], at[2]))
            elif s["job"] in rows:
                # the plan leaves as soon as it can; the provider may leave as late as this
                leave = origin + timedelta(seconds=s["start"] - (s["arrival"] - free))
                seq = sum(1 for x in steps if isinstance(x, RouteStop)) + 1
                steps.append(await stop(seq, rows[s["job"]], at, leave))
            free = s["end"]
        seq = sum(1 for s in steps if isinstance(s, RouteStop))
        for booking_id in my_ids:
            if booking_id not in planned_ids:
                row = rows[booking_id]
                seq += 1
                times = (row["starts_at"], row["starts_at"], row["ends_at"])
                others.append(await stop(seq, row, times))
    else:
        for n, booking_id in enumerate(my_ids, start=1):
            row = rows[booking_id]
            steps.append(await stop(n, row, (row["starts_at"], row["starts_at"], row["ends_at"])))

    stops = [s for s in steps if isinstance(s, RouteStop)]
    home = (await homes_of(tenant_id, [provider_id])).get(provider_id)
    points = [point_of(tenant_id, rows[s.job.id]) for s in stops]
    line = ([home] if home else []) + points + ([home] if home else [])
    svg = route_svg(
        [MapRoute(points=line, colour=PALETTE[0])] if line else [],
        [point_of(tenant_id, rows[s.job.id]) for s in others],
    )
    return ProviderDay(
        day=day,
        planned=plan is not None,
        planned_at=plan["created_at"] if plan else None,
        steps=steps,
        others=others,
        depart=plan_origin(plan) + timedelta(seconds=route["depart"]) if plan and route else None,
        back=plan_origin(plan) + timedelta(seconds=route["back"]) if plan and route else None,
        km=round(route["metres"] / 1000, 1) if route else None,
        svg=svg,
    )


# --- the customer's arrival window ----------------------------------------------------------


@dataclass(frozen=True)
class Arrival:
    start: datetime
    end: datetime
    minutes: int
    """How wide the window is now."""


async def arrival_window(
    tenant_id: Any, booking_id: str, status: str, now: datetime
) -> Arrival | None:
    """The window the current plan promises, as of ``now`` (narrower as the time comes), for a
    booking the provider has accepted and not yet reached; None without a plan."""
    if status not in ARRIVAL_STATES:
        return None
    found = await service.booking_arrival(tenant_id, booking_id, now)
    if found is None:
        return None
    start, end = found
    return Arrival(start, end, int((end - start).total_seconds() // 60))
