"""Recurring bookings: an explicit opt-in series with the same provider, weekly or
fortnightly. Each visit is an ordinary booking (same rules, same no-overlap guarantee, moved
or cancelled one by one within the cancellation policy); a visit the provider cannot make is
kept on the series and shown to the customer, never silently dropped. Cancelling the series
stops it: every later visit still free to cancel is cancelled; those inside the notice period
stay booked (cancelling one of them is the customer's own choice, with its fee shown)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from core.booking.creation import create_booking
from core.booking.service import (
    Actor,
    BookingError,
    BookingRequest,
    ItemRequest,
    cancellation_fee,
    items_of,
    load,
    transition,
)
from core.booking.states import CUSTOMER, TransitionError
from core.booking.tables import Booking, BookingSeries
from core.catalog.model import TenantCatalog
from core.catalog.pricing import QuoteProblem
from core.db import write_transaction
from core.privacy import service as privacy
from core.tenancy.model import Tenant
from core.tenancy.scoped import within_tenant

CADENCES = {"weekly": 7, "fortnightly": 14}
MIN_VISITS, MAX_VISITS = 2, 26
HORIZON = timedelta(days=120)
"""Visits are booked at most this far ahead (as any booking)."""
TOO_FAR = "visits are booked at most 120 days ahead: choose fewer visits"
OPEN_STATES = ("requested", "offered", "accepted", "declined")
"""A visit in one of these states has not happened yet: cancelling the series cancels it."""


@dataclass(frozen=True)
class Skipped:
    starts_at: datetime
    reason: str


@dataclass(frozen=True)
class SeriesResult:
    series_id: str
    booked: list[str]
    """The visits booked, first visit first."""
    skipped: list[Skipped]
    """Visits the provider could not make, with the reason; the customer sees them."""


def cadence_of(days: int) -> str:
    return next((name for name, d in CADENCES.items() if d == days), f"{days}d")


def check_plan(cadence: str, visits: int, first_start: datetime, now: datetime) -> None:
    """BookingError naming ``cadence`` or ``visits``."""
    problems = []
    if cadence not in CADENCES:
        problems.append(QuoteProblem("cadence", "choose weekly or fortnightly"))
    if not MIN_VISITS <= visits <= MAX_VISITS:
        problems.append(QuoteProblem("visits", f"a series has {MIN_VISITS} to {MAX_VISITS} visits"))
    elif cadence in CADENCES:
        last = first_start + timedelta(days=CADENCES[cadence] * (visits - 1))
        if last > now + HORIZON:
            problems.append(QuoteProblem("visits", TOO_FAR))
    if problems:
        raise BookingError(problems)


@within_tenant
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
    ``cadence`` for ``visits`` visits. The first visit must succeed (else BookingError and
    nothing is stored); later ones that the provider cannot make are reported."""
    now = now or datetime.now(UTC)
    check_plan(cadence, visits, request.starts_at, now)
    first = await create_booking(plugins, tenant, tenant_id, catalog, customer_id, request, now)
    booking = await load(tenant_id, first)
    series_id = await _start(tenant_id, customer_id, booking, cadence)
    return await _book_visits(
        plugins, tenant, tenant_id, catalog, customer_id, series_id, booking, request, visits, now
    )


@within_tenant
async def repeat_booking(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    customer_id: str,
    booking_id: str,
    cadence: str,
    visits: int,
    now: datetime | None = None,
) -> SeriesResult:
    """The opt-in on a booking: repeat it (same services, address and provider) ``visits``
    times in all, the booking being the first visit. LookupError when the booking is not the
    customer's; BookingError naming ``booking_id``, ``cadence`` or ``visits`` otherwise."""
    now = now or datetime.now(UTC)
    booking = await load(tenant_id, booking_id)
    if str(booking["customer"]) != customer_id:
        raise LookupError(booking_id)
    problems = []
    if booking["urgent"]:
        problems.append(QuoteProblem("booking_id", "an urgent job cannot be repeated"))
    elif booking["series"] is not None:
        problems.append(QuoteProblem("booking_id", "this booking is already part of a series"))
    elif booking["status"] not in {"offered", "accepted"} or booking["provider"] is None:
        problems.append(QuoteProblem("booking_id", "only a booking that is still on repeats"))
    if problems:
        raise BookingError(problems, 409)
    check_plan(cadence, visits, booking["starts_at"], now)
    lat, lng = privacy.unseal(
        booking["point_enc"], field="booking.point", tenant_id=tenant_id
    ).split(",")
    request = BookingRequest(
        items=[
            ItemRequest(
                i["item"], i["tier"], dict(i.get("intake") or {}), list(i.get("addons") or [])
            )
            for i in items_of(booking)
        ],
        starts_at=booking["starts_at"],
        address=privacy.unseal(
            booking["address_enc"], field="booking.address", tenant_id=tenant_id
        ),
        point=(float(lat), float(lng)),
        district=booking["district"],
        window_end=booking["window_end"],
        note=booking["note"],
    )
    series_id = await _start(tenant_id, customer_id, booking, cadence)
    return await _book_visits(
        plugins, tenant, tenant_id, catalog, customer_id, series_id, booking, request, visits, now
    )


async def _start(tenant_id: str, customer_id: str, first: dict[str, Any], cadence: str) -> str:
    """The series row, with ``first`` as its first visit. Two opt-ins on one booking at once
    make one series (the booking joins a series only if it has none)."""
    async with write_transaction():
        series = BookingSeries(
            tenant=tenant_id,
            customer=customer_id,
            provider=first["provider"],
            cadence_days=CADENCES[cadence],
        )
        await series.save()
        joined = (
            await Booking.update({Booking.series: series.id})
            .where(
                (Booking.id == first["id"])
                & (Booking.tenant == tenant_id)
                & Booking.series.is_null()
            )
            .returning(Booking.id)
        )
        if not joined:
            raise BookingError(
                [QuoteProblem("booking_id", "this booking is already part of a series")], 409
            )
    return str(series.id)


async def _book_visits(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    customer_id: str,
    series_id: str,
    first: dict[str, Any],
    request: BookingRequest,
    visits: int,
    now: datetime,
) -> SeriesResult:
    provider = str(first["provider"])
    days = (await _series_row(tenant_id, series_id))["cadence_days"]
    booked, skipped = [str(first["id"])], []
    for n in range(1, visits):
        shift = timedelta(days=days * n)
        visit = replace(
            request,
            starts_at=first["starts_at"] + shift,
            provider_id=provider,
            window_end=request.window_end + shift if request.window_end else None,
        )
        try:
            booking_id = await create_booking(
                plugins, tenant, tenant_id, catalog, customer_id, visit, now
            )
        except BookingError as exc:
            skipped.append(Skipped(visit.starts_at, exc.problems[0].reason))
            continue
        async with write_transaction():
            await Booking.update({Booking.series: series_id}).where(
                (Booking.id == booking_id) & (Booking.tenant == tenant_id)
            )
        booked.append(booking_id)
    if skipped:
        async with write_transaction():
            await BookingSeries.update(
                {
                    BookingSeries.skipped: [
                        {"starts_at": s.starts_at.isoformat(), "reason": s.reason} for s in skipped
                    ]
                }
            ).where((BookingSeries.id == series_id) & (BookingSeries.tenant == tenant_id))
    return SeriesResult(series_id, booked, skipped)


async def _series_row(tenant_id: str, series_id: str) -> dict[str, Any]:
    row = (
        await BookingSeries.select()
        .where((BookingSeries.id == series_id) & (BookingSeries.tenant == tenant_id))
        .first()
    )
    if row is None:
        raise LookupError(series_id)
    return row


# --- what the customer sees and does ------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    booking_id: str
    starts_at: datetime
    status: str


@dataclass(frozen=True)
class SeriesView:
    id: str
    status: str
    """``active`` or ``ended``."""
    cadence: str
    provider_id: str | None
    visits: list[Visit]
    skipped: list[Skipped]
    created_at: datetime


@within_tenant
async def view_series(tenant_id: str, series_id: str, customer_id: str) -> SeriesView:
    """The customer's own series; LookupError (a 404) for anyone else's."""
    row = await _series_row(tenant_id, series_id)
    if str(row["customer"]) != customer_id:
        raise LookupError(series_id)
    return await _view(tenant_id, row)


async def _view(tenant_id: str, row: dict[str, Any]) -> SeriesView:
    visits = (
        await Booking.select(Booking.id, Booking.starts_at, Booking.status)
        .where((Booking.tenant == tenant_id) & (Booking.series == row["id"]))
        .order_by(Booking.starts_at)
    )
    skipped = row["skipped"]
    skipped = json.loads(skipped) if isinstance(skipped, str) else list(skipped or [])
    return SeriesView(
        id=str(row["id"]),
        status=row["status"],
        cadence=cadence_of(int(row["cadence_days"])),
        provider_id=str(row["provider"]) if row["provider"] else None,
        visits=[Visit(str(v["id"]), v["starts_at"], v["status"]) for v in visits],
        skipped=[
            Skipped(datetime.fromisoformat(s["starts_at"]), str(s["reason"])) for s in skipped
        ],
        created_at=row["created_at"],
    )


@within_tenant
async def list_series(tenant_id: str, customer_id: str) -> list[SeriesView]:
    rows = (
        await BookingSeries.select()
        .where((BookingSeries.tenant == tenant_id) & (BookingSeries.customer == customer_id))
        .order_by(BookingSeries.created_at, ascending=False)
    )
    return [await _view(tenant_id, row) for row in rows]


@dataclass(frozen=True)
class Kept:
    booking_id: str
    starts_at: datetime
    fee_fen: int
    """What cancelling this visit on its own would cost now."""


@dataclass(frozen=True)
class SeriesCancelled:
    series: SeriesView
    cancelled: list[str]
    kept: list[Kept]
    """Visits inside the notice period: still booked, cancelled one by one if the customer
    wants (with the late fee)."""


@within_tenant
async def cancel_series(
    tenant: Tenant,
    tenant_id: str,
    series_id: str,
    customer_id: str,
    now: datetime | None = None,
) -> SeriesCancelled:
    """Stop the series (nothing new is booked on it) and cancel, through the state machine,
    every later visit the customer may still cancel free of charge. Safe to repeat."""
    now = now or datetime.now(UTC)
    async with write_transaction():
        row = await _series_row(tenant_id, series_id)
        if str(row["customer"]) != customer_id:
            raise LookupError(series_id)
        await BookingSeries.update({BookingSeries.status: "ended"}).where(
            (BookingSeries.id == series_id) & (BookingSeries.tenant == tenant_id)
        )
    upcoming = (
        await Booking.select()
        .where(
            (Booking.tenant == tenant_id)
            & (Booking.series == series_id)
            & Booking.status.is_in(list(OPEN_STATES))
            & (Booking.starts_at > now)
        )
        .order_by(Booking.starts_at)
    )
    actor = Actor(CUSTOMER, customer_id)
    cancelled, kept = [], []
    for visit in upcoming:
        fee = cancellation_fee(tenant, visit, CUSTOMER, now)
        if fee:
            kept.append(Kept(str(visit["id"]), visit["starts_at"], fee))
            continue
        try:
            await transition(
                tenant,
                tenant_id,
                str(visit["id"]),
                "cancelled",
                actor,
                reason="the customer ended the series",
                now=now,
            )
        except TransitionError:
            continue  # it moved on meanwhile (e.g. the provider started): leave it
        cancelled.append(str(visit["id"]))
    series = await _view(tenant_id, await _series_row(tenant_id, series_id))
    return SeriesCancelled(series, cancelled, kept)
