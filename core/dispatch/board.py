"""The dispatcher's board: a day's current plan (of the whole city or one district) with every
route, the jobs nobody can take with the reason, and the open jobs the plan does not have yet.
Staff see districts, never addresses; the map is drawn from the stored points."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.booking.tables import Booking
from core.dispatch import service
from core.dispatch.day import OPEN_STATES
from core.dispatch.geo import PALETTE, MapRoute, route_svg
from core.dispatch.views import (
    JOB_COLUMNS,
    Job,
    RouteBreak,
    bookings_by_id,
    day_bounds,
    homes_of,
    job_of,
    plan_origin,
    point_of,
)
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped


@dataclass(frozen=True)
class BoardStop:
    seq: int
    job: Job
    arrival: datetime
    start: datetime


@dataclass(frozen=True)
class BoardRoute:
    provider_id: str
    colour: str
    stops: list[BoardStop]
    breaks: list[RouteBreak]
    depart: datetime
    back: datetime
    km: float
    idle_minutes: int


@dataclass(frozen=True)
class Waiting:
    job: Job
    reason: str
    """An ``Unassigned.reason``, or empty: booked after the plan was made."""


@dataclass(frozen=True)
class Board:
    day: date
    area: str
    areas: list[str]
    """Districts with open bookings that day (plans may be made per district)."""
    plan: dict[str, Any] | None
    """``{id, created_at, solver, totals}`` of the current plan."""
    routes: list[BoardRoute]
    unassigned: list[Waiting]
    unplanned: list[Waiting]
    """Open bookings of the day the plan does not have (booked or changed since)."""
    svg: str
    open_jobs: int


async def board(tenant: Tenant, tenant_id: Any, day: date, area: str = "") -> Board:
    """The day as the dispatcher sees it: the current plan of ``day`` (and ``area``), every
    route on one map, the jobs nobody has with the reason, and the open jobs not planned yet."""
    start, end = day_bounds(tenant, day)
    day_rows = (
        await scoped(Booking, tenant_id)
        .select(*JOB_COLUMNS)
        .where(
            (Booking.starts_at >= start)
            & (Booking.starts_at < end)
            & Booking.status.is_in(list(OPEN_STATES))
        )
        .order_by(Booking.starts_at)
    )
    areas = sorted({r["district"] for r in day_rows if r["district"]})
    open_rows = {str(r["id"]): r for r in day_rows if not area or r["district"] == area}
    plan = await service.stored_plan(tenant_id, day, area)
    routes: list[BoardRoute] = []
    unassigned: list[Waiting] = []
    rows = dict(open_rows)
    if plan is not None:
        origin = plan_origin(plan)
        listed = [s["job"] for r in plan["routes"] for s in r["stops"] if s["job"]]
        listed += [u["job"] for u in plan["unassigned"]]
        rows |= await bookings_by_id(tenant_id, [i for i in listed if i not in open_rows])
        # in a fixed order, so a provider keeps their colour when the plan changes
        ordered = sorted(plan["routes"], key=lambda r: r["provider"])
        for n, r in enumerate(ordered):
            routes.append(_board_route(r, PALETTE[n % len(PALETTE)], origin, rows))
        unassigned = [
            Waiting(job_of(rows[u["job"]]), u["reason"])
            for u in plan["unassigned"]
            if u["job"] in rows
        ]
        in_plan = set(listed)
    else:
        in_plan = set()
    unplanned = [Waiting(job_of(r), "") for i, r in open_rows.items() if i not in in_plan]

    homes = await homes_of(tenant_id, [r.provider_id for r in routes])
    drawn = []
    for r in routes:
        ends = [homes[r.provider_id]] if r.provider_id in homes else []
        stops = [point_of(tenant_id, rows[s.job.id]) for s in r.stops]
        drawn.append(MapRoute(points=[*ends, *stops, *ends], colour=r.colour))
    loose = [point_of(tenant_id, rows[w.job.id]) for w in (*unassigned, *unplanned)]
    return Board(
        day=day,
        area=area,
        areas=areas,
        plan=None
        if plan is None
        else {k: plan[k] for k in ("id", "created_at", "solver", "totals")},
        routes=routes,
        unassigned=unassigned,
        unplanned=unplanned,
        svg=route_svg(drawn, loose, width=560, height=400),
        open_jobs=len(open_rows),
    )


def _board_route(
    route: dict[str, Any], colour: str, origin: datetime, rows: dict[str, dict[str, Any]]
) -> BoardRoute:
    stops: list[BoardStop] = []
    breaks: list[RouteBreak] = []
    for s in route["stops"]:
        if not s["job"]:
            at = origin + timedelta(seconds=s["start"])
            breaks.append(RouteBreak(at, origin + timedelta(seconds=s["end"])))
        elif s["job"] in rows:
            arrival = origin + timedelta(seconds=s["arrival"])
            start = origin + timedelta(seconds=s["start"])
            stops.append(BoardStop(len(stops) + 1, job_of(rows[s["job"]]), arrival, start))
    return BoardRoute(
        provider_id=route["provider"],
        colour=colour,
        stops=stops,
        breaks=breaks,
        depart=origin + timedelta(seconds=route["depart"]),
        back=origin + timedelta(seconds=route["back"]),
        km=round(route["metres"] / 1000, 1),
        idle_minutes=round(route["idle_s"] / 60),
    )


async def provider_names(tenant: Tenant, tenant_id: str, ids: list[str]) -> dict[str, str]:
    """The providers' public names (李阿姨), told apart when two share one."""
    from core.booking.lists import provider_cards

    cards = await provider_cards(tenant, tenant_id, ids, datetime.now(UTC))
    names = {pid: card.display_name or pid[:6] for pid, card in cards.items()}
    seen = [n for n in names.values()]
    return {pid: n if seen.count(n) == 1 else f"{n} · {pid[:4]}" for pid, n in names.items()}
