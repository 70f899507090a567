"""The admin's bookings board: every booking of the tenant, filtered by status, date, provider
and vertical; one booking with its audit trail and the candidate ranking with each score's
explanation. Staff see the district, never the address."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery

from core.accounts.forms import signed_in_user, tenant_id_of
from core.booking import lists, planning, service, views
from core.booking.service import Actor
from core.booking.states import STAFF, TRANSITIONS
from core.tenancy.model import Tenant
from core.web.admin import render_admin
from core.web.auth import require_roles
from core.web.tenant import request_tenant

STATUSES = sorted({state for pair in TRANSITIONS for state in pair})


def _uuid(value: str | None) -> str | None:
    try:
        return str(uuid.UUID(value or ""))
    except ValueError:
        return None


class BookingAdminPages(Controller):
    path = "/admin/bookings"
    include_in_schema = False
    guards = [require_roles(*views.BOOKING_STAFF_ROLES)]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/")
    async def board(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        status: FromQuery[str | None] = None,
        day: FromQuery[str | None] = None,
        provider: FromQuery[str | None] = None,
        vertical: FromQuery[str | None] = None,
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        actor = Actor(STAFF, signed_in_user(request).id)
        now = datetime.now(UTC)
        try:
            chosen_day = date.fromisoformat(day) if day else None
        except ValueError:
            chosen_day = None
        chosen_status = status if status in STATUSES else None
        chosen_provider = _uuid(provider)
        chosen_vertical = vertical if vertical in tenant.enabled_verticals else None
        found = await lists.list_bookings(
            tenant,
            tenant_id,
            actor,
            status=chosen_status,
            day=chosen_day,
            provider_id=chosen_provider,
            vertical=chosen_vertical,
            limit=200,
        )
        filters = {
            "status": chosen_status or "",
            "day": chosen_day.isoformat() if chosen_day else "",
            "provider": chosen_provider or "",
            "vertical": chosen_vertical or "",
        }
        providers = await lists.active_providers(tenant, tenant_id, now)
        names = {p.id: p.display_name for p in providers}
        missing = [b.provider_id for b in found if b.provider_id and b.provider_id not in names]
        if missing:
            extra = await lists.provider_cards(tenant, tenant_id, missing, now)
            names |= {pid: card.display_name for pid, card in extra.items()}
        context = {
            "bookings": found,
            "filters": filters,
            "statuses": STATUSES,
            "providers": providers,
            "names": names,
            "verticals": [
                request.app.state.doorstep.plugins.verticals[slug]
                for slug in tenant.enabled_verticals
            ],
            "catalog": request.app.state.doorstep.catalog(tenant),
        }
        return render_admin(request, tenant, "admin/bookings.html", context)

    @get("/{booking_id:uuid}")
    async def booking(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        actor = Actor(STAFF, signed_in_user(request).id)
        now = datetime.now(UTC)
        try:
            view = await views.view_booking(tenant, tenant_id, str(booking_id), [actor], now=now)
            row = await service.load(tenant_id, str(booking_id))
        except KeyError:
            raise
        except LookupError:
            raise NotFoundException() from None
        app_context = request.app.state.doorstep
        catalog = app_context.catalog(tenant)
        ranked = await planning.ranking_for_booking(
            app_context.plugins, tenant, tenant_id, catalog, row, now
        )
        ids = [c.provider_id for c in ranked] + ([view.provider_id] if view.provider_id else [])
        cards = await lists.provider_cards(tenant, tenant_id, ids, now)
        context = {
            "b": view,
            "item": catalog.item(view.items[0].item),
            "ranked": ranked,
            "cards": cards,
        }
        return render_admin(request, tenant, "admin/booking.html", context)
