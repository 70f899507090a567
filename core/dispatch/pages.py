"""Day plans on screen: the provider's route (``/provider/route``) and the dispatcher's board
(``/admin/dispatch``) with its plan / re-plan and insert-a-job buttons. Thin: ``views`` reads,
``service`` plans. The customer's arrival window is part of the booking page
(``core.booking.pages`` asks ``views.arrival_window``)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect

from core.accounts.forms import signed_in_user, tenant_id_of
from core.booking.forms import one
from core.dispatch import board as boards
from core.dispatch import service, views
from core.providers.onboarding import profile_of_user
from core.tenancy.model import Tenant
from core.web.admin import render_admin
from core.web.auth import require_kind, require_roles
from core.web.templating import render_page
from core.web.tenant import request_tenant

DISPATCH_ROLES = ("admin", "dispatcher")
DONE = ("planned", "inserted")


def _day(tenant: Tenant, text: str | None, default: int) -> date | None:
    """The day asked for, ``default`` days after today (tenant time) when none; None when the
    text is not a date."""
    if not text:
        return views.local_today(tenant, datetime.now(UTC)) + timedelta(days=default)
    try:
        return service.parse_day(text)
    except service.DispatchError:
        return None


class ProviderRoutePage(Controller):
    path = "/provider/route"
    include_in_schema = False
    guards = [require_kind("provider")]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/")
    async def route(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        day: FromQuery[str | None] = None,
    ) -> Response[Any]:
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        profile = await profile_of_user(user.id, tenant_id)
        if profile is None:
            raise NotFoundException()
        chosen = _day(tenant, day, 0)
        today = views.local_today(tenant, datetime.now(UTC))
        context: dict[str, Any] = {
            "today": today,
            "tomorrow": today + timedelta(days=1),
            "catalog": request.app.state.doorstep.catalog(tenant),
        }
        if chosen is None:
            context |= {"route": None, "day": today, "problem": "date"}
            response = render_page(request, tenant, "dispatch/route.html", context, 400)
        else:
            me = str(profile["id"])
            found = await views.provider_day(tenant, tenant_id, me, user.id, chosen)
            context |= {
                "route": found,
                "day": chosen,
                "day_at": views.day_bounds(tenant, chosen)[0],
                "map": found.svg,  # drawn by geo.route_svg: numbers only, title escaped
                "me": me,
            }
            response = render_page(request, tenant, "dispatch/route.html", context)
        response.headers["cache-control"] = "no-store"
        return response


def _board_url(day: date, area: str, **more: str) -> str:
    query = {"day": day.isoformat(), **({"area": area} if area else {}), **more}
    return "/admin/dispatch?" + urlencode(query)


class DispatchBoard(Controller):
    path = "/admin/dispatch"
    include_in_schema = False
    guards = [require_roles(*DISPATCH_ROLES)]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    async def _page(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        day: date | None,
        area: str,
        *,
        done: str = "",
        job: str = "",
        problem: str = "",
        status_code: int = 200,
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        today = views.local_today(tenant, datetime.now(UTC))
        shown = day or today + timedelta(days=1)
        found = await boards.board(tenant, tenant_id, shown, area)
        names = await boards.provider_names(
            tenant, tenant_id, [r.provider_id for r in found.routes]
        )
        context = {
            "board": found,
            "day_at": views.day_bounds(tenant, shown)[0],
            "map": found.svg,  # drawn by geo.route_svg: numbers only, title escaped
            "names": names,
            "today": today,
            "tomorrow": today + timedelta(days=1),
            "done": done if done in DONE else "",
            "job": job,
            "problem": problem,
            "plan_seconds": tenant.config.policies.dispatch.plan_seconds,
            "catalog": request.app.state.doorstep.catalog(tenant),
        }
        return render_admin(request, tenant, "dispatch/board.html", context, status_code)

    @get("/")
    async def show(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        day: FromQuery[str | None] = None,
        area: FromQuery[str | None] = None,
        done: FromQuery[str | None] = None,
        job: FromQuery[str | None] = None,
    ) -> Response[Any]:
        chosen = _day(tenant, day, 1)
        if chosen is None:
            return await self._page(request, tenant, None, "", problem="date", status_code=400)
        return await self._page(
            request, tenant, chosen, (area or "")[:60], done=done or "", job=_uuid(job) or ""
        )

    @post("/plan")
    async def plan(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        form = await request.form()
        area = one(form, "area")[:60]
        chosen = _day(tenant, one(form, "day"), 1)
        if chosen is None:
            return await self._page(request, tenant, None, "", problem="date", status_code=400)
        tenant_id = await tenant_id_of(tenant)
        tools = service.adapters(request.app.state.doorstep.plugins, tenant)
        await service.plan_day(tenant, tenant_id, chosen, tools, area=area)
        return Redirect(path=_board_url(chosen, area, done="planned"), status_code=303)

    @post("/insert")
    async def insert(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        """Put one job (an urgent one, or one booked since the plan) into its day's plan."""
        form = await request.form()
        shown = _day(tenant, one(form, "day"), 1)
        area = one(form, "area")[:60]
        tenant_id = await tenant_id_of(tenant)
        tools = service.adapters(request.app.state.doorstep.plugins, tenant)
        booking_id = _uuid(one(form, "booking_id"))
        try:
            if booking_id is None:
                raise service.DispatchError("booking_id", "not a booking id")
            stored = await service.insert_urgent_booking(
                tenant, tenant_id, booking_id, tools, area=area
            )
        except service.DispatchError as exc:
            problem = "not_open" if exc.field == "area" or "open" in exc.reason else "booking"
            return await self._page(request, tenant, shown, area, problem=problem, status_code=400)
        day = date.fromisoformat(stored["day"])
        done = _board_url(day, stored["area"], done="inserted", job=booking_id)
        return Redirect(path=done, status_code=303)


def _uuid(value: str | None) -> str | None:
    try:
        return str(uuid.UUID(value or ""))
    except ValueError:
        return None
