"""Urgent jobs: "as soon as possible" goes to the best nearby free provider, who has the
tenant's accept time-out (e.g. 60 s); then the next; the radius widens step by step
(``policies.booking.urgent_radius_km``) only when nobody is left inside the current one.

Every step is one write transaction: a time-out and the next offer, or the request and its
first offer, commit together, so nobody ever sees a request half-way between two providers.
Nobody is asked twice (``offered_to``); when the widest radius holds nobody left, the request
expires and the customer is told. Every offer and expiry is a transition in the audit trail.

This module: the request and what its customer watches; the cascade itself is ``cascade``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from core.booking.cascade import offer, offered_to
from core.booking.creation import (
    OUTSIDE_AREA,
    check_request,
    item_record,
    quote_items,
    validate_drafts,
)
from core.booking.service import (
    OFFER_TIMED_OUT,
    Actor,
    BookingError,
    BookingRequest,
    load,
)
from core.booking.states import ACTIVE_STATES, CUSTOMER, STAFF
from core.booking.tables import Booking
from core.catalog.model import TenantCatalog
from core.catalog.pricing import QuoteProblem
from core.db import write_transaction
from core.ids import new_id
from core.matching.service import serves_area
from core.privacy import service as privacy
from core.tenancy.model import Tenant
from core.tenancy.scoped import within_tenant

ARRIVAL_BUDGET = timedelta(minutes=45)
"""An urgent job is planned to start this long after the request (travel included)."""
NOBODY_NOW = "no provider nearby can come now; book a time instead"
OFFER_EXPIRED = OFFER_TIMED_OUT


# --- the request -----------------------------------------------------------------------------


@within_tenant
async def request_urgent(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    customer_id: str,
    request: BookingRequest,
    now: datetime | None = None,
) -> str:
    """Create the request and make the first offer, in one transaction. Raises BookingError
    (nothing stored) when nobody within the widest radius can come now: 400 naming
    ``address`` when nobody serves the address at all, 409 when nobody is free."""
    now = now or datetime.now(UTC)
    start = now + ARRIVAL_BUDGET
    request = replace(request, starts_at=start, urgent=True, window_end=None, provider_id=None)
    check_request(tenant, request, now)
    quotes = await quote_items(plugins, tenant, catalog, request, now)
    validate_drafts(plugins, tenant, request, quotes)
    duration = sum(q.duration_minutes for q in quotes)
    ends = start + timedelta(minutes=duration)
    buffer = timedelta(minutes=tenant.config.policies.booking.travel_buffer_minutes)
    booking_id = str(new_id())
    async with write_transaction():
        # matching-version: a request with no provider yet holds nobody's time
        await Booking.insert(
            Booking(
                id=booking_id,
                tenant=tenant_id,
                customer=customer_id,
                provider=None,
                status="requested",
                vertical=request.items[0].item.split(".", 1)[0],
                items=[item_record(w, q) for w, q in zip(request.items, quotes, strict=True)],
                total_fen=sum(q.total_fen for q in quotes),
                currency=tenant.config.currency,
                address_enc=privacy.seal(
                    request.address.strip(), field="booking.address", tenant_id=tenant_id
                ),
                point_enc=privacy.seal(
                    f"{request.point[0]:.6f},{request.point[1]:.6f}",
                    field="booking.point",
                    tenant_id=tenant_id,
                ),
                district=request.district[:60],
                starts_at=start,
                ends_at=ends,
                hold_start=start - buffer,
                hold_end=ends + buffer,
                urgent=True,
                note=request.note.strip()[:500],
                created_at=now,
                updated_at=now,
                offered_to=[],
            )
        )
        booking = await load(tenant_id, booking_id)
        step = await offer(plugins, tenant, tenant_id, catalog, booking, now)
        if step is None:
            # Raising rolls the request back: nothing half-made stays behind.
            item = request.items[0].item
            if not await serves_area(tenant_id, item, request.point, request.district):
                raise BookingError([QuoteProblem("address", OUTSIDE_AREA)])
            raise BookingError([QuoteProblem("address", NOBODY_NOW)], 409)
    return booking_id


# --- what the customer watches ---------------------------------------------------------------


@dataclass(frozen=True)
class UrgentProgress:
    booking_id: str
    status: str
    phase: str
    """``searching`` (providers are being asked), ``found`` (one accepted), ``unanswered``
    (nobody nearby could come) or ``cancelled``."""
    asked: int
    """How many providers have been asked so far (never who)."""
    radius_km: float
    """The radius the search has reached."""
    widest_km: float
    offer_expires_at: datetime | None
    seconds_left: int | None
    """Time left on the current offer."""
    provider_id: str | None
    """The provider who accepted (only once one did)."""
    starts_at: datetime
    """When the provider is planned to arrive."""
    eta_minutes: int | None
    final: bool


PHASES = {
    "requested": "searching",
    "offered": "searching",
    "declined": "searching",
    "expired": "unanswered",
    "cancelled": "cancelled",
    "no_show": "cancelled",
}


@within_tenant
async def urgent_progress(
    tenant: Tenant,
    tenant_id: str,
    booking_id: str,
    actor: Actor,
    now: datetime | None = None,
) -> UrgentProgress:
    """The cascade as its customer (or staff) watches it. LookupError for anyone else, and
    for a booking that is not an urgent request."""
    now = now or datetime.now(UTC)
    booking = await load(tenant_id, booking_id)
    mine = actor.role == CUSTOMER and str(booking["customer"]) == actor.user_id
    if not booking["urgent"] or not (mine or actor.role == STAFF):
        raise LookupError(booking_id)
    radii = tenant.config.policies.booking.urgent_radius_km
    status = booking["status"]
    phase = PHASES.get(status, "found")
    step = min(int(booking["cascade_step"]), len(radii) - 1)
    expires = booking["offer_expires_at"] if status == "offered" else None
    found = phase == "found"
    return UrgentProgress(
        booking_id=str(booking["id"]),
        status=status,
        phase=phase,
        asked=len(offered_to(booking)),
        radius_km=radii[step],
        widest_km=radii[-1],
        offer_expires_at=expires,
        seconds_left=max(0, int((expires - now).total_seconds())) if expires else None,
        provider_id=str(booking["provider"]) if found and booking["provider"] else None,
        starts_at=booking["starts_at"],
        eta_minutes=(
            max(0, int((booking["starts_at"] - now).total_seconds() // 60))
            if found and status in ACTIVE_STATES
            else None
        ),
        final=phase in {"unanswered", "cancelled"}
        or status in {"in_progress", "completed", "closed"},
    )


__all__ = [
    "ARRIVAL_BUDGET",
    "UrgentProgress",
    "request_urgent",
    "urgent_progress",
]
