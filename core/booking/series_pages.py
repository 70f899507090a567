"""The customer's recurring series: the opt-in from a booking ("repeat weekly / fortnightly"),
one series with the visits booked and those the provider cannot make, and ending it within the
cancellation policy. Thin: the rules are ``series``'s."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from core.accounts.forms import signed_in_user, tenant_id_of
from core.booking import lists, series, service
from core.booking.forms import Wording, one, wording, wordings
from core.booking.service import BookingError
from core.booking.states import FINAL_STATES
from core.tenancy.model import Tenant
from core.web.auth import require_kind
from core.web.templating import render_page
from core.web.tenant import request_tenant

DONE = ("created", "cancelled")


def _private(response: Response[Any]) -> Response[Any]:
    response.headers["cache-control"] = "no-store"
    return response


class SeriesPages(Controller):
    path = "/series"
    include_in_schema = False
    guards = [require_kind("customer", "provider")]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    async def _booking(self, tenant_id: str, user_id: str, booking_id: str) -> dict[str, Any]:
        try:
            booking = await service.load(tenant_id, str(uuid.UUID(booking_id)))
        except (ValueError, LookupError):
            raise NotFoundException() from None
        if str(booking["customer"]) != user_id:
            raise NotFoundException()
        return booking

    async def _new(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        booking: dict[str, Any],
        values: dict[str, str] | None = None,
        problems: list[Wording] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        now = datetime.now(UTC)
        line = service.items_of(booking)[0]
        item = request.app.state.doorstep.catalog(tenant).item(line["item"])
        cards = await lists.provider_cards(
            tenant, tenant_id, [str(booking["provider"])] if booking["provider"] else [], now
        )
        horizon = now + series.HORIZON - booking["starts_at"]
        most = {
            cadence: max(0, min(series.MAX_VISITS, horizon // timedelta(days=days) + 1))
            for cadence, days in series.CADENCES.items()
        }
        context = {
            "booking": booking,
            "line": line,
            "item": item,
            "provider": cards.get(str(booking["provider"])),
            "values": values or {"cadence": "weekly", "visits": "4"},
            "most": most,
            "min_visits": series.MIN_VISITS,
            "problems": problems or [],
            "can_repeat": not booking["urgent"]
            and booking["series"] is None
            and booking["status"] in {"offered", "accepted"},
        }
        page = render_page(request, tenant, "booking/series_new.html", context, status_code)
        return _private(page)

    @get("/new")
    async def new(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking: FromQuery[str] = "",
    ) -> Response[Any]:
        user = signed_in_user(request)
        found = await self._booking(await tenant_id_of(tenant), user.id, booking)
        return await self._new(request, tenant, found)

    @post("/new")
    async def create(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        form = await request.form()
        booking = await self._booking(tenant_id, user.id, one(form, "booking"))
        values = {"cadence": one(form, "cadence"), "visits": one(form, "visits")}
        app_context = request.app.state.doorstep
        try:
            visits = int(values["visits"]) if values["visits"].isdigit() else 0
            result = await series.repeat_booking(
                app_context.plugins,
                tenant,
                tenant_id,
                app_context.catalog(tenant),
                user.id,
                str(booking["id"]),
                values["cadence"],
                visits,
            )
        except LookupError:
            raise NotFoundException() from None
        except BookingError as exc:
            return await self._new(
                request, tenant, booking, values, wordings(exc.problems), exc.status_code
            )
        return Redirect(path=f"/series/{result.series_id}?done=created", status_code=303)

    @get("/")
    async def mine(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        user = signed_in_user(request)
        found = await series.list_series(await tenant_id_of(tenant), user.id)
        page = render_page(request, tenant, "booking/series_list.html", {"all": found})
        return _private(page)

    @get("/{series_id:uuid}")
    async def one_series(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        series_id: FromPath[uuid.UUID],
        done: FromQuery[str | None] = None,
    ) -> Response[Any]:
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        try:
            view = await series.view_series(tenant_id, str(series_id), user.id)
        except LookupError:
            raise NotFoundException() from None
        now = datetime.now(UTC)
        first = await service.load(tenant_id, view.visits[0].booking_id) if view.visits else None
        line = service.items_of(first)[0] if first else None
        item = request.app.state.doorstep.catalog(tenant).item(line["item"]) if line else None
        cards = await lists.provider_cards(
            tenant, tenant_id, [view.provider_id] if view.provider_id else [], now
        )
        free = timedelta(hours=tenant.config.policies.cancellation.free_until_hours)
        upcoming = [v for v in view.visits if v.starts_at > now and v.status not in FINAL_STATES]
        context = {
            "s": view,
            "item": item,
            "line": line,
            "provider": cards.get(view.provider_id or ""),
            "skipped": [(k.starts_at, wording("starts_at", k.reason)) for k in view.skipped],
            "upcoming": upcoming,
            "inside_notice": [v for v in upcoming if v.starts_at - now < free],
            "free_hours": tenant.config.policies.cancellation.free_until_hours,
            "done": done if done in DONE else "",
            "final_states": FINAL_STATES,
        }
        return _private(render_page(request, tenant, "booking/series.html", context))

    @post("/{series_id:uuid}/cancel")
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        series_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        user = signed_in_user(request)
        try:
            await series.cancel_series(tenant, await tenant_id_of(tenant), str(series_id), user.id)
        except LookupError:
            raise NotFoundException() from None
        return Redirect(path=f"/series/{series_id}?done=cancelled", status_code=303)
