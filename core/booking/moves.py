"""Moving a booking: the customer reschedules within the cancellation policy, to a time the same
provider can still make."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.booking.creation import outside_hours, within_service_hours
from core.booking.service import (
    Actor,
    BookingError,
    SlotTaken,
    items_of,
    load,
    move_refusal,
    record,
    role_in,
)
from core.booking.states import TransitionError
from core.booking.tables import Booking
from core.catalog.model import TenantCatalog
from core.catalog.pricing import QuoteProblem
from core.db import is_deadlock, is_unique_or_exclusion_violation, write_transaction
from core.matching.service import (
    JobRequest,
    find_candidates,
)
from core.matching.version import bump_matching_version
from core.privacy import service as privacy
from core.tenancy.model import Tenant
from core.tenancy.scoped import within_tenant


@within_tenant
async def reschedule(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    booking_id: str,
    actor: Actor,
    new_start: datetime,
    now: datetime | None = None,
) -> None:
    """The customer moves the booking within the cancellation policy's free period, to a time
    the same provider can still make. Checked and written in one write transaction, guarded by
    the row's version like a transition."""
    now = now or datetime.now(UTC)
    if new_start.tzinfo is None:
        raise BookingError([QuoteProblem("starts_at", "must include a time zone")])
    try:
        async with write_transaction():
            booking = await load(tenant_id, booking_id)
            refusal = move_refusal(tenant, booking, role_in(booking, actor), now)
            if refusal is not None:
                raise refusal
            lead = timedelta(minutes=tenant.config.policies.booking.lead_time_minutes)
            if new_start < now + lead:
                raise BookingError([QuoteProblem("starts_at", "too soon or in the past")])
            if new_start > now + timedelta(days=120):
                raise BookingError([QuoteProblem("starts_at", "book at most 120 days ahead")])
            if not within_service_hours(tenant, new_start):
                raise BookingError([outside_hours(tenant)])
            duration = booking["ends_at"] - booking["starts_at"]
            buffer = timedelta(minutes=tenant.config.policies.booking.travel_buffer_minutes)
            lat, lng = privacy.unseal(
                booking["point_enc"], field="booking.point", tenant_id=tenant_id
            ).split(",")
            items = items_of(booking)
            job = JobRequest(
                item_ref=items[0]["item"],
                more_items=tuple(i["item"] for i in items[1:]),
                point=(float(lat), float(lng)),
                starts_at=new_start,
                duration_minutes=int(duration.total_seconds() // 60),
                district=booking["district"],
                context={
                    "minor_student": any(
                        isinstance(age := i.get("intake", {}).get("student_age"), int) and age < 18
                        for i in items
                    )
                },
            )
            candidates = await find_candidates(
                plugins,
                tenant,
                tenant_id,
                catalog,
                job,
                now=now,
                ignore_booking=booking_id,
                only=str(booking["provider"]),
                ranking=False,
            )
            if not candidates:
                raise BookingError(
                    [
                        QuoteProblem(
                            "starts_at", "your provider cannot come then; choose another time"
                        )
                    ],
                    409,
                )
            moved = new_start - booking["starts_at"]
            changed = (
                # tenant-scope: the booking was read by load(tenant_id, ...) in this transaction
                await Booking.update(
                    {
                        Booking.starts_at: new_start,
                        Booking.ends_at: new_start + duration,
                        Booking.window_end: booking["window_end"] and booking["window_end"] + moved,
                        Booking.hold_start: new_start - buffer,
                        Booking.hold_end: new_start + duration + buffer,
                        Booking.version: booking["version"] + 1,
                        Booking.updated_at: now,
                    }
                )
                .where((Booking.id == booking_id) & (Booking.version == booking["version"]))
                .returning(Booking.id)
            )
            if not changed:
                raise TransitionError("the booking changed meanwhile; reload and try again")
            await record(
                tenant_id,
                booking_id,
                booking["status"],
                booking["status"],
                actor,
                f"rescheduled from {booking['starts_at'].isoformat()}",
                now,
            )
            if booking["provider"] is not None:
                await bump_matching_version(tenant_id, booking["provider"], holds=True)
    except Exception as exc:
        if is_unique_or_exclusion_violation(exc) or is_deadlock(exc):
            raise SlotTaken() from None
        raise
