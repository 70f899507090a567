"""Recurring bookings: an explicit opt-in series with the same provider, weekly or
fortnightly. Each visit is an ordinary booking (same rules, same no-overlap guarantee)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from core.booking.service import BookingError, BookingRequest, create_booking, load
from core.booking.tables import Booking, BookingSeries
from core.catalog.model import TenantCatalog
from core.catalog.pricing import QuoteProblem
from core.db import write_transaction
from core.tenancy.model import Tenant

CADENCES = {"weekly": 7, "fortnightly": 14}


@dataclass(frozen=True)
class SeriesResult:
    series_id: str
    booked: list[str]
    skipped: list[tuple[datetime, str]]
    """Visits the provider could not make, with the reason; the customer sees them."""


async def create_series(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    customer_id: str,
    request: BookingRequest,
    cadence: str,
    visits: int,
    now: datetime | None = None,
) -> SeriesResult:
    """Book the first visit (with the chosen or best provider), then the same provider every
    ``cadence`` for ``visits`` visits. The first visit must succeed; later ones that the
    provider cannot make are reported, not silently dropped."""
    now = now or datetime.now(UTC)
    if cadence not in CADENCES:
        raise BookingError([QuoteProblem("cadence", "choose weekly or fortnightly")])
    if not 2 <= visits <= 26:
        raise BookingError([QuoteProblem("visits", "a series has 2 to 26 visits")])
    first = await create_booking(plugins, tenant, tenant_id, catalog, customer_id, request, now)
    provider = str((await load(tenant_id, first))["provider"])
    async with write_transaction():
        series = BookingSeries(
            tenant=tenant_id,
            customer=customer_id,
            provider=provider,
            cadence_days=CADENCES[cadence],
        )
        await series.save()
        await Booking.update({Booking.series: series.id}).where(Booking.id == first)
    booked, skipped = [first], []
    for n in range(1, visits):
        start = request.starts_at + timedelta(days=CADENCES[cadence] * n)
        visit = replace(
            request,
            starts_at=start,
            provider_id=provider,
            window_end=request.window_end + timedelta(days=CADENCES[cadence] * n)
            if request.window_end
            else None,
        )
        try:
            booking_id = await create_booking(
                plugins, tenant, tenant_id, catalog, customer_id, visit, now
            )
        except BookingError as exc:
            skipped.append((start, exc.problems[0].reason))
            continue
        async with write_transaction():
            await Booking.update({Booking.series: series.id}).where(Booking.id == booking_id)
        booked.append(booking_id)
    return SeriesResult(str(series.id), booked, skipped)


async def cancel_series(tenant_id: str, series_id: str, customer_id: str) -> None:
    """Stop the series: future visits are cancelled through the state machine by the caller;
    the series is marked ended so nothing new is booked."""
    async with write_transaction():
        changed = (
            await BookingSeries.update({BookingSeries.status: "ended"})
            .where(
                (BookingSeries.id == series_id)
                & (BookingSeries.tenant == tenant_id)
                & (BookingSeries.customer == customer_id)
            )
            .returning(BookingSeries.id)
        )
    if not changed:
        raise LookupError(series_id)
