"""Dispatch rules: plan a day, insert an urgent job, promise arrival windows, tell people.

Pages, API and CLI call these; none re-implements them. The solver and the travel times come
from the tenant's hooks (``route_solver``, ``travel_time_estimator``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec

from core.db import write_transaction
from core.dispatch.day import DayInput, day_input
from core.dispatch.feasibility import violations
from core.dispatch.replan import insert_urgent
from core.dispatch.schedule import BREAK, timed_route
from core.dispatch.schemas import (
    DayProblem,
    DaySolution,
    PlannedRoute,
    RouteSolver,
    TravelTimeEstimator,
    Unassigned,
)
from core.dispatch.tables import DispatchPlan, DispatchStop
from core.notifications.outbox import enqueue
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, within_tenant

Progress = Callable[[str], None]
STAGES = ("reading", "travel", "solving", "saving")
"""What ``plan_day`` reports to its ``progress`` callback, in order."""


class DispatchError(Exception):
    """Bad input: ``field`` names what is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True)
class Adapters:
    solver: RouteSolver
    estimator: TravelTimeEstimator


def adapters(plugins: Any, tenant: Tenant) -> Adapters:
    hooks = plugins.for_tenant(tenant)
    solver = hooks.route_solver()
    estimator = hooks.travel_time_estimator()
    assert solver is not None and estimator is not None  # core's defaults answer last
    return Adapters(solver=solver, estimator=estimator)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DispatchError("date", "use a date like 2026-03-11") from None


def promised_window(
    arrival: datetime, now: datetime, booked: datetime | None = None
) -> tuple[datetime, datetime]:
    """The arrival window told to the customer: an hour either side the day before, narrowing
    to 10 minutes either side as the time comes (half-width 10 min + 10 min per hour ahead,
    at most 60), on 5-minute marks. Never before ``booked`` (the start the customer chose: a
    plan never starts a job earlier, so a 09:00 booking hears 09:00-10:00, not 08:00-10:00)."""
    ahead_h = max(0.0, (arrival - now).total_seconds() / 3600)
    half = timedelta(minutes=min(60, 10 + 10 * ahead_h))
    start, end = arrival - half, arrival + half
    if booked is not None:
        start = max(start, min(booked, arrival))
    return _floor5(max(start, min(now, arrival))), _ceil5(end)


def _floor5(moment: datetime) -> datetime:
    moment = moment.replace(second=0, microsecond=0)
    return moment - timedelta(minutes=moment.minute % 5)


def _ceil5(moment: datetime) -> datetime:
    floor = _floor5(moment)
    return floor if floor == moment else floor + timedelta(minutes=5)


# --- planning ---------------------------------------------------------------------------


@within_tenant
async def plan_day(
    tenant: Tenant,
    tenant_id: Any,
    day: date,
    tools: Adapters,
    *,
    area: str = "",
    now: datetime | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Plan ``day`` (optionally one district), store it as the current plan and tell people
    whose arrival moved. Returns the stored plan (``stored_plan`` shape)."""
    now = now or datetime.now(UTC)
    tell = progress or (lambda stage: None)
    tell("reading")
    day_in = await day_input(tenant, tenant_id, day, tools.estimator, area)
    tell("travel")
    limit = tenant.config.policies.dispatch.plan_seconds
    tell("solving")
    solution = await asyncio.to_thread(tools.solver.solve, day_in.problem, limit)
    broken = violations(day_in.problem, solution)
    if broken:
        raise RuntimeError(f"solver {solution.solver} broke its rules: {broken[:3]}")
    tell("saving")
    return await _store(tenant, tenant_id, day_in, solution, now)


@within_tenant
async def insert_urgent_booking(
    tenant: Tenant,
    tenant_id: Any,
    booking_id: str,
    tools: Adapters,
    *,
    area: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Put one booking (an urgent job) into its day's current plan with minimal disruption
    (core.dispatch.replan); the day is planned first if it has no plan yet.

    The plan: ``area``'s ("" the whole city) when given; else the plan of the booking's
    district when that district was planned on its own, else the whole city's."""
    from core.booking.tables import Booking

    now = now or datetime.now(UTC)
    row = await scoped(Booking, tenant_id).select().where(Booking.id == _uuid(booking_id)).first()
    if row is None:
        raise DispatchError("booking_id", "no such booking")
    local = row["starts_at"].astimezone(_zone(tenant)).date()
    district = row["district"] or ""
    if area and area != district:
        raise DispatchError("area", "the booking is in another district")
    if area is None:
        area = district if district and await stored_plan(tenant_id, local, district) else ""
    current = await stored_plan(tenant_id, local, area)
    if current is None:
        return await plan_day(tenant, tenant_id, local, tools, area=area, now=now)
    day_in = await day_input(tenant, tenant_id, local, tools.estimator, area)
    job = next((j for j in day_in.problem.jobs if j.id == str(row["id"])), None)
    if job is None:
        raise DispatchError("booking_id", "this booking is not open for planning")
    others = msgspec.structs.replace(
        day_in.problem, jobs=tuple(j for j in day_in.problem.jobs if j.id != job.id)
    )
    routes = _kept_routes(others, [msgspec.convert(x, PlannedRoute) for x in current["routes"]])
    planned = {j for r in routes for j in r.jobs}
    waiting = tuple(
        Unassigned(job=j.id, reason="no_room") for j in others.jobs if j.id not in planned
    )
    result = insert_urgent(
        others,
        DaySolution(routes=routes, unassigned=waiting, solver="replan"),
        job,
        day_in.seconds(now),
        day_in.started,
    )
    return await _store(tenant, tenant_id, day_in, result.solution, now)


def _kept_routes(problem: DayProblem, routes: list[PlannedRoute]) -> tuple[PlannedRoute, ...]:
    """The current plan's routes for ``problem``: a job no longer in it (cancelled since, or
    the urgent job itself when it is inserted again) leaves its route, which is re-timed; the
    route's other jobs keep their provider and order. A provider no longer working that day
    has no route (their jobs wait for a place)."""
    index = {j.id: k for k, j in enumerate(problem.jobs)}
    providers = {p.id: p for p in problem.providers}
    kept = []
    for route in routes:
        provider = providers.get(route.provider)
        if provider is None:
            continue
        if all(j in index for j in route.jobs):
            kept.append(route)
            continue
        steps = [
            index[s.job] if s.job else BREAK for s in route.stops if not s.job or s.job in index
        ]
        if any(step != BREAK for step in steps):
            kept.append(timed_route(problem, provider, steps))
    return tuple(kept)


def _zone(tenant: Tenant) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(tenant.config.timezone)


def _uuid(value: str) -> Any:
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise DispatchError("booking_id", "not a booking id") from None


def totals(day_in: DayInput, solution: DaySolution) -> dict[str, Any]:
    routed = [s for r in solution.routes for s in r.stops if s.job]
    windows = {j.id: j.window for j in day_in.problem.jobs}
    kept = sum(1 for s in routed if windows[s.job][0] <= s.start <= windows[s.job][1])
    return {
        "travel_km": round(solution.metres / 1000, 1),
        "idle_minutes": round(sum(r.idle_s for r in solution.routes) / 60),
        "jobs": len(day_in.problem.jobs),
        "routed": len(routed),
        "unassigned": len(solution.unassigned),
        "windows_kept": kept,
        "providers": len(day_in.problem.providers),
        "routes": len(solution.routes),
    }


async def _store(
    tenant: Tenant, tenant_id: Any, day_in: DayInput, solution: DaySolution, now: datetime
) -> dict[str, Any]:
    before = await _current_stops(tenant_id, day_in.day.isoformat(), day_in.area)
    shift = timedelta(minutes=tenant.config.policies.dispatch.notify_shift_minutes)
    async with write_transaction():
        await (
            scoped(DispatchPlan, tenant_id)
            .update({DispatchPlan.status: "superseded"})
            .where(
                (DispatchPlan.day == day_in.day.isoformat())
                & (DispatchPlan.area == day_in.area)
                & (DispatchPlan.status == "current")
            )
        )
        plan = DispatchPlan(
            tenant=tenant_id,
            day=day_in.day.isoformat(),
            area=day_in.area,
            solver=solution.solver[:40],
            origin=day_in.origin,
            routes=[msgspec.to_builtins(r) for r in solution.routes],
            unassigned=[msgspec.to_builtins(u) for u in solution.unassigned],
            totals=totals(day_in, solution),
            created_at=now,
        )
        await scoped(DispatchPlan, tenant_id).insert(plan)
        rows = []
        for route in solution.routes:
            for seq, stop in enumerate(s for s in route.stops if s.job):
                arrival = day_in.at(stop.start)
                booked = day_in.bookings[stop.job]["starts_at"]
                start, end = promised_window(arrival, now, booked)
                rows.append(
                    DispatchStop(
                        tenant=tenant_id,
                        plan=plan.id,
                        booking=stop.job,
                        provider=route.provider,
                        seq=seq,
                        arrival_at=arrival,
                        window_start=start,
                        window_end=end,
                    )
                )
                old = before.get(stop.job)
                if old is not None and (
                    abs(old["arrival_at"] - arrival) >= shift
                    or str(old["provider"]) != route.provider
                ):
                    await enqueue(
                        tenant_id,
                        "dispatch.arrival",
                        {
                            "booking_id": stop.job,
                            "window_start": start.isoformat(),
                            "window_end": end.isoformat(),
                        },
                    )
        if rows:
            await scoped(DispatchStop, tenant_id).insert(*rows)
    stored = await stored_plan(tenant_id, day_in.day, day_in.area)
    assert stored is not None
    return stored


async def _current_stops(tenant_id: Any, day: str, area: str) -> dict[str, dict[str, Any]]:
    plan = (
        await scoped(DispatchPlan, tenant_id)
        .select(DispatchPlan.id)
        .where(
            (DispatchPlan.day == day)
            & (DispatchPlan.area == area)
            & (DispatchPlan.status == "current")
        )
        .first()
    )
    if plan is None:
        return {}
    rows = await scoped(DispatchStop, tenant_id).select().where(DispatchStop.plan == plan["id"])
    return {str(r["booking"]): r for r in rows}


async def stored_plan(tenant_id: Any, day: date, area: str = "") -> dict[str, Any] | None:
    """The current plan of ``day``: ``{id, day, area, solver, origin, routes, unassigned,
    totals, created_at}`` (routes as ``PlannedRoute`` dicts, times in plan seconds)."""
    row = (
        await scoped(DispatchPlan, tenant_id)
        .select()
        .where(
            (DispatchPlan.day == day.isoformat())
            & (DispatchPlan.area == area)
            & (DispatchPlan.status == "current")
        )
        .first()
    )
    if row is None:
        return None
    for key in ("routes", "unassigned", "totals"):
        if isinstance(row[key], str):
            row[key] = json.loads(row[key])
    row["id"] = str(row["id"])
    return row


async def booking_arrival(
    tenant_id: Any, booking_id: Any, now: datetime
) -> tuple[datetime, datetime] | None:
    """The customer's arrival window from the current plan, as of ``now`` (it narrows as the
    time comes), or None when no current plan has the booking."""
    rows = (
        await scoped(DispatchStop, tenant_id)
        .select(DispatchStop.arrival_at, DispatchStop.plan.status, DispatchStop.booking.starts_at)
        .where(DispatchStop.booking == booking_id)
        .order_by(DispatchStop.arrival_at)
    )
    current = [r for r in rows if r["plan.status"] == "current"]
    if not current:
        return None
    return promised_window(current[0]["arrival_at"], now, current[0]["booking.starts_at"])
