"""The provider's jobs: the feed (offers with their expiry, today's jobs, later ones) and each
job with the buttons for the transitions allowed now. "Arrived" sends the phone's position;
the service refuses it outside the tenant's geofence. The full address shows only while the
job is the provider's to do, and every such read is audited (``views``)."""

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
from core.booking import lists, planning, service, views
from core.booking.cascade import decline_and_cascade
from core.booking.forms import Wording, one, wording
from core.booking.service import Actor
from core.booking.states import PROVIDER, TransitionError
from core.providers.onboarding import profile_of_user
from core.tenancy.model import Tenant
from core.web.auth import require_kind
from core.web.templating import render_page
from core.web.tenant import request_tenant

ACTIONS = {
    "accept": "accepted",
    "decline": "declined",
    "travel": "en_route",
    "arrive": "arrived",
    "start": "in_progress",
    "complete": "completed",
}
DONE = frozenset(ACTIONS.values())


def _private(response: Response[Any]) -> Response[Any]:
    response.headers["cache-control"] = "no-store"
    return response


def _position(form: Any) -> tuple[float, float] | None:
    try:
        lat, lng = float(one(form, "lat")), float(one(form, "lng"))
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return lat, lng


class JobPages(Controller):
    path = "/provider/jobs"
    include_in_schema = False
    guards = [require_kind("provider")]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    async def _provider(self, request: Request[Any, Any, Any], tenant: Tenant) -> tuple[str, Actor]:
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        found = await profile_of_user(user.id, tenant_id)
        if found is None:
            raise NotFoundException()
        return tenant_id, Actor(PROVIDER, user.id, str(found["id"]))

    @get("/")
    async def feed(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        done: FromQuery[str | None] = None,
    ) -> Response[Any]:
        tenant_id, actor = await self._provider(request, tenant)
        now = datetime.now(UTC)
        feed = await lists.job_feed(tenant, tenant_id, actor.provider_id or "", now)
        catalog = request.app.state.doorstep.catalog(tenant)
        context = {"feed": feed, "catalog": catalog, "now": now, "done": done == "declined"}
        return _private(render_page(request, tenant, "booking/jobs.html", context))

    async def _job_page(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        tenant_id: str,
        booking_id: uuid.UUID,
        actor: Actor,
        *,
        done: str = "",
        problems: list[Wording] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        now = datetime.now(UTC)
        try:
            view = await views.view_booking(tenant, tenant_id, str(booking_id), [actor], now=now)
        except KeyError:
            raise
        except LookupError:
            raise NotFoundException() from None
        app_context = request.app.state.doorstep
        catalog = app_context.catalog(tenant)
        mine = None
        if view.status == "offered":
            # The provider's own match explanation: why this offer came to them.
            booking = await service.load(tenant_id, str(booking_id))
            ranked = await planning.ranking_for_booking(
                app_context.plugins, tenant, tenant_id, catalog, booking, now
            )
            mine = next((c for c in ranked if c.provider_id == actor.provider_id), None)
        context = {
            "b": view,
            "item": catalog.item(view.items[0].item),
            "mine": mine,
            "done": done if done in DONE else "",
            "problems": problems or [],
            "geofence_m": tenant.config.policies.booking.geofence_m,
            "now": now,
        }
        return _private(render_page(request, tenant, "booking/job.html", context, status_code))

    @get("/{booking_id:uuid}")
    async def job(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
        done: FromQuery[str | None] = None,
    ) -> Response[Any]:
        tenant_id, actor = await self._provider(request, tenant)
        return await self._job_page(request, tenant, tenant_id, booking_id, actor, done=done or "")

    @post("/{booking_id:uuid}/{action:str}")
    async def act(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
        action: FromPath[str],
    ) -> Response[Any]:
        target = ACTIONS.get(action)
        if target is None:
            raise NotFoundException()
        tenant_id, actor = await self._provider(request, tenant)
        form = await request.form()
        app_context = request.app.state.doorstep
        try:
            if target == "declined":
                await decline_and_cascade(
                    app_context.plugins,
                    tenant,
                    tenant_id,
                    app_context.catalog(tenant),
                    str(booking_id),
                    actor,
                )
            else:
                await service.transition(
                    tenant,
                    tenant_id,
                    str(booking_id),
                    target,
                    actor,
                    reason=one(form, "reason")[:300],
                    position=_position(form) if target == "arrived" else None,
                )
        except KeyError:
            raise
        except LookupError:
            raise NotFoundException() from None
        except TransitionError as exc:
            return await self._job_page(
                request,
                tenant,
                tenant_id,
                booking_id,
                actor,
                problems=[wording("status", exc.reason)],
                status_code=exc.status_code,
            )
        if target == "declined":
            return Redirect(path="/provider/jobs?done=declined", status_code=303)
        return Redirect(path=f"/provider/jobs/{booking_id}?done={target}", status_code=303)
