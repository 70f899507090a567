"""The customer's bookings: the list, and one booking with its status timeline (kept up to date
by polling ``/bookings/<id>/live``), cancel (the fee shown first), reschedule within the policy,
and the review once the job is done. Thin: ``views`` decides who sees what, ``service`` the rest.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from core.accounts.forms import signed_in_user, tenant_id_of
from core.booking import lists, moves, reviews, service, views
from core.booking.forms import REVIEW_TAGS, Wording, local_moment, one, wording, wordings
from core.booking.service import Actor, BookingError
from core.booking.states import FINAL_STATES, TransitionError
from core.catalog.pricing import QuoteProblem
from core.dispatch.views import arrival_window
from core.tenancy.model import Tenant
from core.web.auth import require_kind
from core.web.templating import render_page
from core.web.tenant import request_tenant

DONE = ("booked", "cancelled", "moved", "reviewed")


def _private(response: Response[Any]) -> Response[Any]:
    response.headers["cache-control"] = "no-store"
    return response


class BookingPages(Controller):
    path = "/bookings"
    include_in_schema = False
    guards = [require_kind("customer", "provider")]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    async def _customer(self, request: Request[Any, Any, Any], tenant: Tenant) -> tuple[str, Actor]:
        user = signed_in_user(request)
        return await tenant_id_of(tenant), Actor("customer", user.id)

    async def _view(
        self, tenant: Tenant, tenant_id: str, booking_id: uuid.UUID, actor: Actor
    ) -> views.BookingView:
        try:
            return await views.view_booking(tenant, tenant_id, str(booking_id), [actor])
        except KeyError:
            raise
        except LookupError:
            raise NotFoundException() from None

    async def _context(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        tenant_id: str,
        view: views.BookingView,
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        cards = await lists.provider_cards(
            tenant, tenant_id, [view.provider_id] if view.provider_id else [], now
        )
        item = request.app.state.doorstep.catalog(tenant).item(view.items[0].item)
        return {
            "b": view,
            "item": item,
            # An urgent request names nobody until someone accepted (the search is shown).
            "provider": None
            if view.urgent and not any(s.state == "accepted" and s.at for s in view.steps)
            else cards.get(view.provider_id or ""),
            "review_tags": REVIEW_TAGS,
            "final": view.status in FINAL_STATES,
            "arrival": await arrival_window(tenant_id, view.id, view.status, now),
        }

    @get("/")
    async def mine(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        tenant_id, actor = await self._customer(request, tenant)
        found = await lists.list_bookings(tenant, tenant_id, actor)
        catalog = request.app.state.doorstep.catalog(tenant)
        now = datetime.now(UTC)
        rows = [(b, catalog.item(b.item)) for b in found]
        context = {
            "upcoming": [
                r for r in rows if r[0].status not in FINAL_STATES and r[0].ends_at >= now
            ],
            "past": [r for r in rows if r[0].status in FINAL_STATES or r[0].ends_at < now],
        }
        return _private(render_page(request, tenant, "booking/mine.html", context))

    @get("/{booking_id:uuid}")
    async def booking(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
        done: FromQuery[str | None] = None,
    ) -> Response[Any]:
        tenant_id, actor = await self._customer(request, tenant)
        view = await self._view(tenant, tenant_id, booking_id, actor)
        context = await self._context(request, tenant, tenant_id, view)
        context["done"] = done if done in DONE else ""
        return _private(render_page(request, tenant, "booking/booking.html", context))

    @get("/{booking_id:uuid}/live")
    async def live(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """The status part of the page, for the page to swap in when the version moved."""
        tenant_id, actor = await self._customer(request, tenant)
        view = await self._view(tenant, tenant_id, booking_id, actor)
        context = await self._context(request, tenant, tenant_id, view)
        html = render_page(request, tenant, "booking/_live.html", context).content
        payload = {
            "version": view.version,
            "status": view.status,
            "final": view.status in FINAL_STATES,
            "html": html,
        }
        return _private(Response(payload, media_type="application/json"))

    async def _refused(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        tenant_id: str,
        booking_id: uuid.UUID,
        actor: Actor,
        problems: list[Wording],
        status_code: int,
        values: dict[str, str] | None = None,
    ) -> Response[Any]:
        view = await self._view(tenant, tenant_id, booking_id, actor)
        context = await self._context(request, tenant, tenant_id, view)
        context.update(problems=problems, values=values or {})
        return _private(render_page(request, tenant, "booking/booking.html", context, status_code))

    @post("/{booking_id:uuid}/cancel")
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        tenant_id, actor = await self._customer(request, tenant)
        form = await request.form()
        try:
            await service.transition(
                tenant, tenant_id, str(booking_id), "cancelled", actor, reason=one(form, "reason")
            )
        except LookupError:
            raise NotFoundException() from None
        except TransitionError as exc:
            problem = [wording("status", exc.reason)]
            return await self._refused(
                request, tenant, tenant_id, booking_id, actor, problem, exc.status_code
            )
        return Redirect(path=f"/bookings/{booking_id}?done=cancelled", status_code=303)

    @post("/{booking_id:uuid}/reschedule")
    async def reschedule(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        tenant_id, actor = await self._customer(request, tenant)
        form = await request.form()
        app_context = request.app.state.doorstep
        start = local_moment(tenant, one(form, "start"))
        try:
            if start is None:
                raise BookingError([QuoteProblem("starts_at", "choose a time")])
            await moves.reschedule(
                app_context.plugins,
                tenant,
                tenant_id,
                app_context.catalog(tenant),
                str(booking_id),
                actor,
                start,
            )
        except LookupError:
            raise NotFoundException() from None
        except (BookingError, TransitionError) as exc:
            problems = (
                wordings(exc.problems)
                if isinstance(exc, BookingError)
                else [wording("status", exc.reason)]
            )
            return await self._refused(
                request,
                tenant,
                tenant_id,
                booking_id,
                actor,
                problems,
                exc.status_code,
                {"start": one(form, "start")},
            )
        return Redirect(path=f"/bookings/{booking_id}?done=moved", status_code=303)

    @post("/{booking_id:uuid}/review")
    async def review(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        tenant_id, actor = await self._customer(request, tenant)
        form = await request.form()
        rating = one(form, "rating")
        tags = [t for t in form.getall("tag", []) if t in REVIEW_TAGS]
        try:
            await reviews.create_review(
                tenant_id,
                str(booking_id),
                actor.user_id or "",
                int(rating) if rating.isdigit() else 0,
                one(form, "text"),
                tags,
            )
        except LookupError:
            raise NotFoundException() from None
        except BookingError as exc:
            values = {"rating": rating, "text": one(form, "text"), "tags": ",".join(tags)}
            return await self._refused(
                request,
                tenant,
                tenant_id,
                booking_id,
                actor,
                wordings(exc.problems),
                exc.status_code,
                values,
            )
        return Redirect(path=f"/bookings/{booking_id}?done=reviewed", status_code=303)
