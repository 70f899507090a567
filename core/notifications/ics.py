"""A booking as an iCalendar file: ``GET /bookings/<id>/calendar.ics``.

Only the booking's customer and its assigned provider get it; anyone else (another customer,
another provider, staff) gets a 404 that does not confirm the booking exists. The location is
the district, and the full address only for the assigned provider while the booking is active.
Times are UTC; the UID is stable per booking and the SEQUENCE follows the booking's version,
so a calendar that imported it once updates the same event after a reschedule.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from icalendar import Calendar, Event
from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from core.booking.states import CUSTOMER, PROVIDER
from core.catalog.model import TenantCatalog
from core.notifications.bookings import BookingFacts, booking_facts, booking_link
from core.providers.tables import ProviderProfile
from core.tenancy.model import Tenant
from core.tenancy.service import tenant_row_id
from core.web.auth import current_user, signed_in
from core.web.tenant import request_locale, request_tenant

STATUS = {"offered": "TENTATIVE", "cancelled": "CANCELLED", "expired": "CANCELLED"}


def booking_calendar(
    tenant: Tenant,
    tenant_id: Any,
    booking: BookingFacts,
    audience: str,
    catalog: TenantCatalog,
    locale: str,
) -> bytes:
    """The ``.ics`` bytes of one booking, as ``audience`` (customer or provider) may see it."""
    calendar = Calendar()
    calendar.add("prodid", "-//Doorstep//bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    host = tenant.config.hosts[0]
    event.add("uid", f"booking-{booking.id}@{host}")
    event.add("dtstamp", booking.updated_at)
    event.add("sequence", booking.version)
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("summary", f"{tenant.name(locale)}: {booking.item_label(tenant, catalog, locale)}")
    location = booking.address_for(audience, tenant_id) or booking.district
    if location:
        event.add("location", location)
    event.add("url", booking_link(tenant, booking.id, audience))
    event.add("status", STATUS.get(booking.status, "CONFIRMED"))
    calendar.add_component(event)
    return bytes(calendar.to_ical())


async def _audience(request: Request[Any, Any, Any], tenant_id: str, booking: BookingFacts) -> str:
    """The signed-in user's side of the booking; LookupError for anyone else."""
    user = current_user(request)
    if user is None:
        raise LookupError(booking.id)
    if user.id == booking.customer_user:
        return CUSTOMER
    if booking.provider_profile is not None:
        own = await ProviderProfile.exists().where(
            (ProviderProfile.id == booking.provider_profile)
            & (ProviderProfile.user == user.id)
            & (ProviderProfile.tenant == tenant_id)
        )
        if own:
            return PROVIDER
    raise LookupError(booking.id)


@get(
    "/bookings/{booking_id:uuid}/calendar.ics",
    guards=[signed_in],
    include_in_schema=False,
)
async def booking_ics(
    request: Request[Any, Any, Any], booking_id: FromPath[UUID]
) -> Response[bytes]:
    tenant = request_tenant(request)
    tenant_id = await tenant_row_id(tenant.slug)
    if tenant_id is None:
        raise NotFoundException()
    booking = await booking_facts(tenant, tenant_id, str(booking_id))
    if booking is None:
        raise NotFoundException()
    try:
        audience = await _audience(request, tenant_id, booking)
    except LookupError:
        raise NotFoundException() from None
    app_context = request.app.state.doorstep
    body = booking_calendar(
        tenant,
        tenant_id,
        booking,
        audience,
        app_context.catalog(tenant),
        request_locale(request, tenant),
    )
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="booking-{booking.id}.ics"',
            "cache-control": "no-store",
        },
    )
