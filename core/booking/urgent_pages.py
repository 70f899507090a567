"""The customer's "as soon as possible" pages: the request (a saved address, what is wrong, the
price now) and the live search, updating without a reload (``urgent-live.js`` polls ``.../live``):
how many providers were asked and how far the search reached, the time left on the current
offer; then the provider who accepted, with photo and arrival time, or "nobody nearby could
come: book a time instead". Thin: the rules are ``urgent``'s."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from core.accounts import profile as accounts
from core.accounts.forms import signed_in_user, tenant_id_of
from core.booking import lists, planning, service, urgent
from core.booking.forms import Wording, carried, item_from, one, wordings
from core.booking.service import Actor, BookingError, ItemRequest
from core.booking.states import CUSTOMER
from core.catalog.schemas import ServiceItem
from core.tenancy.model import Tenant
from core.web.auth import require_kind
from core.web.templating import render_page
from core.web.tenant import request_tenant


def _private(response: Response[Any]) -> Response[Any]:
    response.headers["cache-control"] = "no-store"
    return response


def _km(value: float) -> str:
    return f"{value:g}"


class UrgentPages(Controller):
    path = "/urgent"
    include_in_schema = False
    guards = [require_kind("customer", "provider")]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    def _item(self, request: Request[Any, Any, Any], tenant: Tenant, ref: str) -> ServiceItem:
        found = request.app.state.doorstep.catalog(tenant).item(ref)
        if found is None:
            raise NotFoundException()
        return found

    async def _form(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        item: ServiceItem,
        wanted: ItemRequest,
        address_id: str = "",
        note: str = "",
        problems: list[Wording] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        book = await accounts.addresses(user.id, tenant_id)
        located = [a for a in book if a.located]
        if not any(a.id == address_id for a in located):
            address_id = located[0].id if located else ""
        app_context = request.app.state.doorstep
        now = datetime.now(UTC)
        quotes = []
        problems = list(problems or [])
        try:
            quotes = await planning.quotes_for(
                app_context.plugins,
                tenant,
                app_context.catalog(tenant),
                [wanted],
                now + urgent.ARRIVAL_BUDGET,
                now,
            )
        except BookingError as exc:
            problems += wordings(exc.problems)
        policy = tenant.config.policies.booking
        context = {
            "item": item,
            "wanted": wanted,
            "tier": item.tier(wanted.tier),
            "carried": carried(wanted),
            "addresses": book,
            "address_id": address_id,
            "note": note,
            "total_fen": sum(q.total_fen for q in quotes) if quotes else None,
            "arrival_minutes": int(urgent.ARRIVAL_BUDGET.total_seconds() // 60),
            "timeout_seconds": policy.offer_timeout_seconds,
            "widest_km": _km(policy.urgent_radius_km[-1]),
            "problems": problems,
        }
        page = render_page(request, tenant, "booking/urgent.html", context, status_code)
        return _private(page)

    @get("/{vertical:str}/{item_key:str}")
    async def ask(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        vertical: FromPath[str],
        item_key: FromPath[str],
    ) -> Response[Any]:
        item = self._item(request, tenant, f"{vertical}.{item_key}")
        wanted = item_from(request.query_params, item)
        return await self._form(request, tenant, item, wanted, one(request.query_params, "address"))

    @post("/{vertical:str}/{item_key:str}")
    async def send(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        vertical: FromPath[str],
        item_key: FromPath[str],
    ) -> Response[Any]:
        item = self._item(request, tenant, f"{vertical}.{item_key}")
        form = await request.form()
        wanted = item_from(form, item)
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        app_context = request.app.state.doorstep
        note = one(form, "note")[:500]
        try:
            place = await planning.saved_place(user.id, tenant_id, one(form, "address"))
            booking_id = await urgent.request_urgent(
                app_context.plugins,
                tenant,
                tenant_id,
                app_context.catalog(tenant),
                user.id,
                service.BookingRequest(
                    items=[wanted],
                    starts_at=datetime.now(UTC),
                    address=place.address,
                    point=place.point,
                    district=place.district,
                    note=note,
                ),
            )
        except BookingError as exc:
            return await self._form(
                request,
                tenant,
                item,
                wanted,
                one(form, "address"),
                note,
                wordings(exc.problems),
                exc.status_code,
            )
        return Redirect(path=f"/urgent/requests/{booking_id}", status_code=303)

    async def _progress(
        self, request: Request[Any, Any, Any], tenant: Tenant, booking_id: uuid.UUID
    ) -> dict[str, Any]:
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        now = datetime.now(UTC)
        try:
            found = await urgent.urgent_progress(
                tenant, tenant_id, str(booking_id), Actor(CUSTOMER, user.id), now
            )
            booking = await service.load(tenant_id, str(booking_id))
        except KeyError:
            raise
        except LookupError:
            raise NotFoundException() from None
        cards = await lists.provider_cards(
            tenant, tenant_id, [found.provider_id] if found.provider_id else [], now
        )
        line = service.items_of(booking)[0]
        catalog = request.app.state.doorstep.catalog(tenant)
        item = catalog.item(line["item"])
        wanted = ItemRequest(line["item"], line["tier"], dict(line.get("intake") or {}))
        answers = urlencode(carried(wanted))
        vertical, key = line["item"].split(".", 1)
        return {
            "p": found,
            "provider": cards.get(found.provider_id or ""),
            "item": item,
            "line": line,
            "first_km": tenant.config.policies.booking.urgent_radius_km[0],
            "km": _km,
            "book_link": f"/book/{vertical}/{key}?{answers}",
            "can_stop": found.status in {"requested", "offered", "declined"},
        }

    @get("/requests/{booking_id:uuid}")
    async def progress(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        context = await self._progress(request, tenant, booking_id)
        return _private(render_page(request, tenant, "booking/urgent_progress.html", context))

    @get("/requests/{booking_id:uuid}/live")
    async def live(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """The live part of the page, for urgent-live.js to swap in."""
        context = await self._progress(request, tenant, booking_id)
        found: urgent.UrgentProgress = context["p"]
        html = render_page(request, tenant, "booking/_urgent_live.html", context).content
        payload = {
            "status": found.status,
            "phase": found.phase,
            "asked": found.asked,
            "radiusKm": found.radius_km,
            "secondsLeft": found.seconds_left,
            "final": found.final,
            "html": html,
        }
        return _private(Response(payload, media_type="application/json"))
