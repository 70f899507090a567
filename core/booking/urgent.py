"""Urgent jobs: "as soon as possible" goes to the best nearby free provider, who has the
tenant's accept time-out (e.g. 60 s); then the next; the radius widens step by step.

The customer watches the cascade on the booking page: every offer and every expiry is a
transition in the audit trail."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.booking.service import (
    SYSTEM_ACTOR,
    Actor,
    BookingError,
    BookingRequest,
    _check_request,
    _item_record,
    _quotes,
    _record,
)
from core.booking.states import CUSTOMER
from core.booking.tables import Booking
from core.catalog.model import TenantCatalog
from core.catalog.pricing import QuoteProblem
from core.db import is_unique_or_exclusion_violation, write_transaction
from core.matching.service import JobRequest, find_candidates
from core.privacy import service as privacy
from core.tenancy.model import Tenant

ARRIVAL_BUDGET = timedelta(minutes=45)
"""An urgent job is planned to start this long after the request (travel included)."""


@dataclass(frozen=True)
class CascadeStep:
    booking_id: str
    status: str
    provider_id: str | None
    radius_km: float | None


async def request_urgent(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    customer_id: str,
    request: BookingRequest,
    now: datetime | None = None,
) -> str:
    """Create the request and make the first offer. Raises BookingError when nobody within
    the widest radius can come."""
    now = now or datetime.now(UTC)
    start = now + ARRIVAL_BUDGET
    request = BookingRequest(
        items=request.items,
        starts_at=start,
        address=request.address,
        point=request.point,
        district=request.district,
        urgent=True,
        note=request.note,
    )
    _check_request(tenant, request, now)
    quotes = await _quotes(plugins, tenant, catalog, request, now)
    duration = sum(q.duration_minutes for q in quotes)
    buffer = timedelta(minutes=tenant.config.policies.booking.travel_buffer_minutes)
    booking_id = str(uuid.uuid4())
    async with write_transaction():
        await Booking.insert(
            Booking(
                id=booking_id,
                tenant=tenant_id,
                customer=customer_id,
                provider=None,
                status="requested",
                vertical=request.items[0].item.split(".", 1)[0],
                items=[_item_record(w, q) for w, q in zip(request.items, quotes, strict=True)],
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
                ends_at=start + timedelta(minutes=duration),
                hold_start=start - buffer,
                hold_end=start + timedelta(minutes=duration) + buffer,
                urgent=True,
                created_at=now,
                updated_at=now,
                offered_to=[],
            )
        )
    step = await offer_next(plugins, tenant, tenant_id, catalog, booking_id, now)
    if step.provider_id is None:
        raise BookingError(
            [
                QuoteProblem(
                    "address", "no provider nearby can come now; try booking a time instead"
                )
            ],
            409,
        )
    return booking_id


async def offer_next(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    booking_id: str,
    now: datetime | None = None,
) -> CascadeStep:
    """Offer the request to the best provider not asked yet, widening the radius as needed.
    When every radius is exhausted the request expires. Safe to call twice (version check)."""
    now = now or datetime.now(UTC)
    radii = tenant.config.policies.booking.urgent_radius_km
    timeout = timedelta(seconds=tenant.config.policies.booking.offer_timeout_seconds)
    booking = (
        await Booking.select()
        .where((Booking.id == booking_id) & (Booking.tenant == tenant_id))
        .first()
    )
    if booking is None:
        raise LookupError(booking_id)
    if booking["status"] not in {"requested", "declined", "expired"}:
        return CascadeStep(booking_id, booking["status"], _str(booking["provider"]), None)
    asked = _list(booking["offered_to"])
    lat, lng = privacy.unseal(
        booking["point_enc"], field="booking.point", tenant_id=tenant_id
    ).split(",")
    items = _list(booking["items"])
    job = JobRequest(
        item_ref=items[0]["item"],
        point=(float(lat), float(lng)),
        starts_at=booking["starts_at"],
        duration_minutes=int((booking["ends_at"] - booking["starts_at"]).total_seconds() // 60),
        district=booking["district"],
    )
    for step in range(booking["cascade_step"], len(radii)):
        candidates = await find_candidates(
            plugins,
            tenant,
            tenant_id,
            catalog,
            job,
            now=now,
            exclude=set(asked),
            radius_km=radii[step],
        )
        if not candidates:
            continue
        chosen = candidates[0].provider_id
        try:
            async with write_transaction():
                changed = (
                    await Booking.update(
                        {
                            Booking.status: "offered",
                            Booking.provider: chosen,
                            Booking.offer_expires_at: now + timeout,
                            Booking.cascade_step: step,
                            Booking.offered_to: [*asked, chosen],
                            Booking.version: booking["version"] + 1,
                            Booking.updated_at: now,
                        }
                    )
                    .where((Booking.id == booking_id) & (Booking.version == booking["version"]))
                    .returning(Booking.id)
                )
                if not changed:
                    return CascadeStep(booking_id, "moved", None, None)
                await _record(
                    tenant_id,
                    booking_id,
                    booking["status"],
                    "offered",
                    SYSTEM_ACTOR,
                    f"urgent offer within {radii[step]:g} km",
                    now,
                )
        except Exception as exc:
            if is_unique_or_exclusion_violation(exc):
                asked.append(chosen)  # taken meanwhile: ask the next one
                continue
            raise
        return CascadeStep(booking_id, "offered", chosen, radii[step])
    async with write_transaction():
        await Booking.update(
            {
                Booking.status: "expired",
                Booking.provider: None,
                Booking.version: booking["version"] + 1,
                Booking.updated_at: now,
            }
        ).where((Booking.id == booking_id) & (Booking.version == booking["version"]))
        if booking["status"] != "expired":
            await _record(
                tenant_id,
                booking_id,
                booking["status"],
                "expired",
                SYSTEM_ACTOR,
                "no provider nearby accepted in time",
                now,
            )
    return CascadeStep(booking_id, "expired", None, None)


async def expire_offers(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    now: datetime | None = None,
) -> dict[str, int]:
    """Worker job: urgent offers past their time-out expire and go to the next provider;
    offers for booked times expire when their start passes unanswered."""
    now = now or datetime.now(UTC)
    due = await Booking.select(Booking.id, Booking.urgent, Booking.version, Booking.status).where(
        (Booking.tenant == tenant_id)
        & (Booking.status == "offered")
        & Booking.offer_expires_at.is_not_null()
        & (Booking.offer_expires_at <= now)
    )
    report = {"expired": 0, "re_offered": 0}
    for row in due:
        async with write_transaction():
            changed = (
                await Booking.update(
                    {
                        Booking.status: "expired",
                        Booking.version: row["version"] + 1,
                        Booking.updated_at: now,
                    }
                )
                .where((Booking.id == row["id"]) & (Booking.version == row["version"]))
                .returning(Booking.id)
            )
            if not changed:
                continue
            await _record(
                tenant_id,
                str(row["id"]),
                "offered",
                "expired",
                SYSTEM_ACTOR,
                "the provider did not answer in time",
                now,
            )
        report["expired"] += 1
        if row["urgent"]:
            step = await offer_next(plugins, tenant, tenant_id, catalog, str(row["id"]), now)
            report["re_offered"] += step.status == "offered"
    return report


async def decline_and_cascade(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    booking_id: str,
    actor: Actor,
    now: datetime | None = None,
) -> None:
    """A provider declines; an urgent request moves on to the next provider at once."""
    from core.booking.service import transition

    row = await transition(tenant, tenant_id, booking_id, "declined", actor, now=now)
    if row["urgent"]:
        await offer_next(plugins, tenant, tenant_id, catalog, booking_id, now)


def _list(value: Any) -> list[Any]:
    return json.loads(value) if isinstance(value, str) else list(value or [])


def _str(value: Any) -> str | None:
    return str(value) if value is not None else None


__all__ = [
    "CUSTOMER",
    "CascadeStep",
    "decline_and_cascade",
    "expire_offers",
    "offer_next",
    "request_urgent",
]
