"""Dispatch API v1, for agencies' apps: the dispatcher plans a day, reads it and slots in an
urgent job; the provider reads their route; a booking's party reads its arrival window.

Thin: ``service`` plans, ``board`` and ``views`` read. Refusals are 4xx naming the field: 400
bad input (``date``, ``area``), 403 a role that may not do this, 404 a booking that is not the
tenant's (or yours), 409 a booking that is no longer open for planning."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException, PermissionDeniedException
from litestar.params import FromPath, JSONBody, QueryParameter

from core.accounts.forms import tenant_id_of
from core.booking import service as bookings
from core.booking.api_support import REFUSALS, BookingContext, booking_context, refusal_handler
from core.booking.states import TransitionError
from core.catalog.api import request_problems
from core.catalog.schemas_api import ProblemOut, ProblemsOut
from core.dispatch import board as boards
from core.dispatch import service, views
from core.dispatch.pages import DISPATCH_ROLES
from core.dispatch.schemas_api import (
    ArrivalOut,
    BreakOut,
    DayPlanOut,
    JobOut,
    MyRouteOut,
    MyStopOut,
    NavigateOut,
    PlanDayIn,
    PlanStopOut,
    RouteOut,
    TotalsOut,
    WaitingOut,
)
from core.providers.onboarding import profile_of_user
from core.tenancy.model import Tenant
from core.web.auth import current_user, require_roles, signed_in
from core.web.tenant import request_tenant

WIRE = {"date": "date", "area": "area", "booking_id": "bookingId"}


def problem(status: int, field: str, reason: str) -> Response[ProblemsOut]:
    return Response(
        ProblemsOut(
            status_code=status,
            detail=f"{field}: {reason}",
            problems=[ProblemOut(field=field, reason=reason)],
        ),
        status_code=status,
    )


def refused(exc: service.DispatchError) -> Response[ProblemsOut]:
    """404 for a booking that is not the tenant's, 409 for one no longer open, else 400."""
    field = WIRE.get(exc.field, exc.field)
    if exc.field == "booking_id":
        return problem(409 if "open" in exc.reason else 404, field, exc.reason)
    return problem(400, field, exc.reason)


def _day(text: str | None) -> date:
    if not text:
        raise service.DispatchError("date", "is required: a date like 2026-03-11")
    return service.parse_day(text)


def job_out(job: views.Job) -> JobOut:
    return JobOut(
        booking_id=job.id,
        item=job.item,
        tier=job.tier,
        status=job.status,
        district=job.district,
        starts_at=job.starts_at,
        window_end=job.window_end,
        urgent=job.urgent,
    )


def day_plan_out(found: boards.Board, names: dict[str, str]) -> DayPlanOut:
    plan = found.plan
    return DayPlanOut(
        date=found.day.isoformat(),
        area=found.area,
        planned=plan is not None,
        plan_id=plan["id"] if plan else None,
        planned_at=plan["created_at"] if plan else None,
        solver=plan["solver"] if plan else None,
        totals=TotalsOut(**plan["totals"]) if plan else None,
        routes=[
            RouteOut(
                provider_id=r.provider_id,
                provider_name=names.get(r.provider_id, ""),
                colour=r.colour,
                depart_at=r.depart,
                back_at=r.back,
                km=r.km,
                idle_minutes=r.idle_minutes,
                stops=[
                    PlanStopOut(
                        seq=s.seq, arrival_at=s.arrival, start_at=s.start, job=job_out(s.job)
                    )
                    for s in r.stops
                ],
                breaks=[BreakOut(start_at=b.start, end_at=b.end) for b in r.breaks],
            )
            for r in found.routes
        ],
        unassigned=[WaitingOut(job=job_out(w.job), reason=w.reason) for w in found.unassigned],
        unplanned=[WaitingOut(job=job_out(w.job), reason="") for w in found.unplanned],
    )


def my_stop_out(stop: views.RouteStop) -> MyStopOut:
    nav = stop.navigate if stop.confirmed else None
    return MyStopOut(
        seq=stop.seq,
        booking_id=stop.job.id,
        item=stop.job.item,
        tier=stop.job.tier,
        status=stop.job.status,
        district=stop.job.district,
        arrival_at=stop.arrival,
        start_at=stop.start,
        end_at=stop.end,
        leave_by=stop.leave_by,
        confirmed=stop.confirmed,
        address=stop.address if stop.confirmed else None,
        navigate=None
        if nav is None
        else NavigateOut(
            lat=nav.gcj02[0],
            lng=nav.gcj02[1],
            amap=nav.amap,
            baidu=nav.baidu,
            apple=nav.apple,
            geo=nav.geo,
        ),
    )


class DispatchApi(Controller):
    path = "/api/v1"
    tags = ["dispatch"]
    guards = [signed_in]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}
    exception_handlers = {ClientException: request_problems, TransitionError: refusal_handler}

    async def _plan_out(self, tenant: Tenant, tenant_id: str, day: date, area: str) -> DayPlanOut:
        found = await boards.board(tenant, tenant_id, day, area)
        names = await boards.provider_names(
            tenant, tenant_id, [r.provider_id for r in found.routes]
        )
        return day_plan_out(found, names)

    @post(
        "/dispatch/plans",
        operation_id="planDay",
        summary="Plan (or re-plan) a day, for the whole city or one district",
        guards=[require_roles(*DISPATCH_ROLES)],
        responses={400: REFUSALS[400], 403: REFUSALS[403]},
    )
    async def plan_day(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        data: JSONBody[PlanDayIn],
    ) -> Response[Any]:
        """201 with the new current plan: totals, every route in order, the jobs nobody can
        take with the reason. Customers and providers whose arrival moved are told."""
        try:
            day = _day(data.date)
        except service.DispatchError as exc:
            return refused(exc)
        area = data.area.strip()[:60]
        tenant_id = await tenant_id_of(tenant)
        tools = service.adapters(request.app.state.doorstep.plugins, tenant)
        await service.plan_day(tenant, tenant_id, day, tools, area=area)
        return Response(await self._plan_out(tenant, tenant_id, day, area), status_code=201)

    @get(
        "/dispatch/plans",
        operation_id="getDayPlan",
        summary="A day's current plan (of the whole city or one district)",
        guards=[require_roles(*DISPATCH_ROLES)],
        responses={400: REFUSALS[400], 403: REFUSALS[403]},
    )
    async def get_day_plan(
        self,
        tenant: NamedDependency[Tenant],
        date_: Annotated[str | None, QueryParameter(name="date")] = None,
        area: Annotated[str, QueryParameter(name="area")] = "",
    ) -> Response[Any]:
        """``planned`` is false while the day has no plan; ``unplanned`` lists its open jobs."""
        try:
            day = _day(date_)
        except service.DispatchError as exc:
            return refused(exc)
        tenant_id = await tenant_id_of(tenant)
        return Response(await self._plan_out(tenant, tenant_id, day, area.strip()[:60]))

    @post(
        "/dispatch/bookings/{booking_id:uuid}/insert",
        operation_id="insertUrgentJob",
        summary="Slot one booking (an urgent job) into its day's running plan",
        guards=[require_roles(*DISPATCH_ROLES)],
        status_code=200,
        responses=REFUSALS,
    )
    async def insert_urgent_job(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Into the plan of the booking's district when it was planned on its own, else the
        whole city's (planned first when the day has no plan). Everyone else keeps their
        provider, order and promised window; whoever's arrival moved is told."""
        tenant_id = await tenant_id_of(tenant)
        tools = service.adapters(request.app.state.doorstep.plugins, tenant)
        try:
            stored = await service.insert_urgent_booking(tenant, tenant_id, str(booking_id), tools)
        except service.DispatchError as exc:
            return refused(exc)
        day = date.fromisoformat(stored["day"])
        return Response(await self._plan_out(tenant, tenant_id, day, stored["area"]))

    @get(
        "/dispatch/my-route",
        operation_id="getMyRoute",
        summary="The provider's route of a day: stops in order with arrival times",
        responses={400: REFUSALS[400], 403: REFUSALS[403]},
    )
    async def get_my_route(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        date_: Annotated[str | None, QueryParameter(name="date")] = None,
    ) -> Response[Any]:
        """Today (tenant time) unless ``date``. A stop that is yours to do has its address and
        a navigate point (GCJ-02, with links for the map apps); a stop only planned for you has
        its district."""
        user = current_user(request)
        assert user is not None  # the signed_in guard ran
        tenant_id = await tenant_id_of(tenant)
        profile = await profile_of_user(user.id, tenant_id) if user.kind == "provider" else None
        if profile is None:
            raise PermissionDeniedException("only providers have a route")
        try:
            day = _day(date_) if date_ is not None else views.local_today(tenant, datetime.now(UTC))
        except service.DispatchError as exc:
            return refused(exc)
        found = await views.provider_day(tenant, tenant_id, str(profile["id"]), user.id, day)
        return Response(
            MyRouteOut(
                date=day.isoformat(),
                planned=found.planned,
                planned_at=found.planned_at,
                depart_at=found.depart,
                back_at=found.back,
                km=found.km,
                stops=[my_stop_out(s) for s in found.stops],
                breaks=[
                    BreakOut(start_at=s.start, end_at=s.end)
                    for s in found.steps
                    if isinstance(s, views.RouteBreak)
                ],
                others=[my_stop_out(s) for s in found.others],
            )
        )

    @get(
        "/bookings/{booking_id:uuid}/arrival",
        operation_id="getArrivalWindow",
        summary="When the provider should arrive: a window that narrows as the time comes",
        dependencies={"ctx": Provide(booking_context)},
        responses={404: REFUSALS[404]},
    )
    async def get_arrival_window(
        self, ctx: NamedDependency[BookingContext], booking_id: FromPath[uuid.UUID]
    ) -> ArrivalOut:
        """For the booking's customer, its provider and staff. Null times until a plan has
        the accepted booking, and once the provider has arrived."""
        await ctx.actor_for(booking_id)  # 404 unless the booking is the caller's business
        row = await bookings.load(ctx.tenant_id, str(booking_id))
        found = await views.arrival_window(
            ctx.tenant_id, str(booking_id), row["status"], datetime.now(UTC)
        )
        return ArrivalOut(
            booking_id=str(booking_id),
            start_at=found.start if found else None,
            end_at=found.end if found else None,
            minutes=found.minutes if found else None,
        )
