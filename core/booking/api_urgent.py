"""Booking API v1, urgent requests and recurring series: ask for someone "as soon as
possible" and watch the cascade; repeat a booking weekly or fortnightly, see and end the series.

Thin, like ``core.booking.api`` (whose context and refusal shapes it shares): the rules live in
``urgent`` and ``series``. 400 bad input naming the field, 403 a role that may not do this,
404 an object that is not yours (never a 403 that confirms it exists), 409 a state or a moment
that does not allow it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException
from litestar.params import FromPath, JSONBody

from core.booking import lists, series, urgent
from core.booking.api_support import (
    REFUSALS,
    BookingContext,
    booking_context,
    item_requests,
    problems,
)
from core.booking.schemas_api import ItemIn, PlaceIn
from core.booking.service import Actor, BookingError, BookingRequest
from core.booking.states import CUSTOMER, STAFF
from core.catalog.api import request_problems
from core.catalog.pricing import QuoteProblem
from core.catalog.schemas_api import Api
from core.web.auth import signed_in
from core.web.tenant import request_tenant

# --- what goes over the wire -------------------------------------------------------------------


class UrgentIn(Api, forbid_unknown_fields=True):
    items: list[ItemIn]
    place: PlaceIn
    note: str = ""


class UrgentProviderOut(Api):
    provider_id: str
    display_name: str
    avatar_url: str | None
    rating: float | None
    rating_count: int


class UrgentProgressOut(Api):
    booking_id: str
    status: str
    phase: str
    """``searching``, ``found``, ``unanswered`` (nobody nearby could come: book a time
    instead) or ``cancelled``."""
    providers_asked: int
    """How many providers have been asked so far (never who)."""
    radius_km: float
    """How far the search has widened."""
    widest_radius_km: float
    offer_expires_at: datetime | None
    seconds_left: int | None
    """Time left for the provider asked now to accept."""
    provider: UrgentProviderOut | None
    """The provider who accepted, once one did."""
    starts_at: datetime
    """When the provider is planned to be at the door."""
    eta_minutes: int | None
    final: bool
    """Nothing more will change here: stop polling."""


class SeriesIn(Api, forbid_unknown_fields=True):
    """Repeat an existing booking (``bookingId``: it is the first visit), or book a new first
    visit (``items``, ``place``, ``startsAt``, optionally ``providerId``) and repeat that."""

    cadence: str
    """``weekly`` or ``fortnightly``."""
    visits: int
    """How many visits in all, the first included (2 to 26, within 120 days)."""
    booking_id: str | None = None
    items: list[ItemIn] | None = None
    place: PlaceIn | None = None
    starts_at: datetime | None = None
    window_end: datetime | None = None
    provider_id: str | None = None
    note: str = ""


class VisitOut(Api):
    booking_id: str
    starts_at: datetime
    status: str


class SkippedVisitOut(Api):
    starts_at: datetime
    reason: str
    """Why the provider cannot make it (the visit is not booked)."""


class SeriesOut(Api):
    id: str
    status: str
    """``active`` or ``ended``."""
    cadence: str
    provider_id: str | None
    visits: list[VisitOut]
    skipped: list[SkippedVisitOut]
    created_at: datetime


class KeptVisitOut(Api):
    booking_id: str
    starts_at: datetime
    fee_fen: int
    """Inside the notice period: still booked; cancelling it on its own costs this."""


class SeriesCancelledOut(Api):
    series: SeriesOut
    cancelled: list[str]
    """The visits cancelled (free of charge)."""
    kept: list[KeptVisitOut]


WIRE = {"booking_id": "bookingId", "provider_id": "providerId", "window_end": "windowEnd"}


def _series_problems(exc: BookingError, items_prefix: str = "") -> Response[Any]:
    renamed = BookingError(
        [QuoteProblem(WIRE.get(p.field, p.field), p.reason) for p in exc.problems],
        exc.status_code,
    )
    return problems(renamed, items_prefix=items_prefix)


def _series_out(view: series.SeriesView) -> SeriesOut:
    return SeriesOut(
        id=view.id,
        status=view.status,
        cadence=view.cadence,
        provider_id=view.provider_id,
        visits=[
            VisitOut(booking_id=v.booking_id, starts_at=v.starts_at, status=v.status)
            for v in view.visits
        ],
        skipped=[SkippedVisitOut(starts_at=s.starts_at, reason=s.reason) for s in view.skipped],
        created_at=view.created_at,
    )


async def progress_out(ctx: BookingContext, found: urgent.UrgentProgress) -> UrgentProgressOut:
    provider = None
    if found.provider_id:
        cards = await lists.provider_cards(
            ctx.tenant, ctx.tenant_id, [found.provider_id], datetime.now(UTC)
        )
        card = cards.get(found.provider_id)
        if card is not None:
            provider = UrgentProviderOut(
                provider_id=card.id,
                display_name=card.display_name,
                avatar_url=card.avatar_url,
                rating=card.rating,
                rating_count=card.rating_count,
            )
    return UrgentProgressOut(
        booking_id=found.booking_id,
        status=found.status,
        phase=found.phase,
        providers_asked=found.asked,
        radius_km=found.radius_km,
        widest_radius_km=found.widest_km,
        offer_expires_at=found.offer_expires_at,
        seconds_left=found.seconds_left,
        provider=provider,
        starts_at=found.starts_at,
        eta_minutes=found.eta_minutes,
        final=found.final,
    )


async def _customer(ctx: BookingContext) -> Actor:
    """The caller as a customer (providers book as customers too); staff may not."""
    actors = await ctx.actors()
    if actors[0].role == STAFF:
        raise PermissionDeniedException("customers ask for themselves")
    return Actor(CUSTOMER, ctx.user.id)


class UrgentApi(Controller):
    path = "/api/v1"
    tags = ["booking"]
    guards = [signed_in]
    dependencies = {
        "tenant": Provide(request_tenant, sync_to_thread=False),
        "ctx": Provide(booking_context),
    }
    exception_handlers = {ClientException: request_problems}

    # --- urgent ---------------------------------------------------------------------------

    @post(
        "/bookings/urgent",
        operation_id="requestUrgent",
        summary="As soon as possible: the nearest free provider is asked first, then the next",
        responses=REFUSALS,
    )
    async def request_urgent(
        self, ctx: NamedDependency[BookingContext], data: JSONBody[UrgentIn]
    ) -> Response[Any]:
        """201 with the progress: the first provider has been asked; each has the tenant's
        time-out to accept, then the next is asked, the radius widening when nobody is left
        inside it. 409 when nobody nearby can come now (nothing is stored: book a time)."""
        actor = await _customer(ctx)
        prefix = "items[0]." if len(data.items) == 1 else ""
        try:
            place = await ctx.place(data.place)
            booking_id = await urgent.request_urgent(
                ctx.plugins,
                ctx.tenant,
                ctx.tenant_id,
                ctx.catalog,
                ctx.user.id,
                BookingRequest(
                    items=item_requests(data.items),
                    starts_at=datetime.now(UTC),
                    address=place.address,
                    point=place.point,
                    district=place.district,
                    note=data.note,
                ),
            )
        except BookingError as exc:
            return problems(exc, items_prefix=prefix)
        found = await urgent.urgent_progress(ctx.tenant, ctx.tenant_id, booking_id, actor)
        return Response(await progress_out(ctx, found), status_code=201)

    @get(
        "/bookings/{booking_id:uuid}/progress",
        operation_id="getUrgentProgress",
        summary="How the search for an urgent request is going",
        responses={404: REFUSALS[404]},
    )
    async def progress(
        self, ctx: NamedDependency[BookingContext], booking_id: FromPath[uuid.UUID]
    ) -> UrgentProgressOut:
        """Poll it: how many providers were asked (never who), how far the search reached,
        the time left on the current offer; then the provider who accepted and when they will
        be there, or ``unanswered``. 404 for a booking that is not your urgent request."""
        actors = await ctx.actors()
        actor = actors[0] if actors[0].role == STAFF else Actor(CUSTOMER, ctx.user.id)
        try:
            found = await urgent.urgent_progress(ctx.tenant, ctx.tenant_id, str(booking_id), actor)
        except LookupError:
            raise NotFoundException() from None
        return await progress_out(ctx, found)

    # --- series ---------------------------------------------------------------------------

    @post(
        "/series",
        operation_id="createSeries",
        summary="Repeat a booking weekly or fortnightly with the same provider (opt-in)",
        responses=REFUSALS,
    )
    async def create_series(
        self, ctx: NamedDependency[BookingContext], data: JSONBody[SeriesIn]
    ) -> Response[Any]:
        """201 with the series: the visits booked and those the provider cannot make (with
        the reason; they are not booked). 400 naming ``cadence``, ``visits`` or the missing
        field; 404 for a booking that is not yours; 409 for one that cannot repeat."""
        actor = await _customer(ctx)
        prefix = "items[0]." if data.items is not None and len(data.items) == 1 else ""
        try:
            if data.booking_id is not None:
                result = await series.repeat_booking(
                    ctx.plugins,
                    ctx.tenant,
                    ctx.tenant_id,
                    ctx.catalog,
                    ctx.user.id,
                    _uuid(data.booking_id),
                    data.cadence,
                    data.visits,
                )
            else:
                missing = [
                    QuoteProblem(name, "is required")
                    for name, value in (
                        ("items", data.items),
                        ("place", data.place),
                        ("startsAt", data.starts_at),
                    )
                    if value is None
                ]
                if missing:
                    raise BookingError(missing)
                assert data.items is not None and data.place is not None
                assert data.starts_at is not None
                place = await ctx.place(data.place)
                result = await series.create_series(
                    ctx.plugins,
                    ctx.tenant,
                    ctx.tenant_id,
                    ctx.catalog,
                    ctx.user.id,
                    BookingRequest(
                        items=item_requests(data.items),
                        starts_at=data.starts_at,
                        address=place.address,
                        point=place.point,
                        district=place.district,
                        window_end=data.window_end,
                        provider_id=data.provider_id,
                        note=data.note,
                    ),
                    data.cadence,
                    data.visits,
                )
        except BookingError as exc:
            return _series_problems(exc, prefix)
        except LookupError:
            raise NotFoundException() from None
        view = await series.view_series(ctx.tenant_id, result.series_id, actor.user_id or "")
        return Response(_series_out(view), status_code=201)

    @get(
        "/series/{series_id:uuid}",
        operation_id="getSeries",
        summary="One of your series: its visits, and those the provider cannot make",
        responses={404: REFUSALS[404]},
    )
    async def get_series(
        self, ctx: NamedDependency[BookingContext], series_id: FromPath[uuid.UUID]
    ) -> SeriesOut:
        actor = await _customer(ctx)
        try:
            view = await series.view_series(ctx.tenant_id, str(series_id), actor.user_id or "")
        except LookupError:
            raise NotFoundException() from None
        return _series_out(view)

    @delete(
        "/series/{series_id:uuid}",
        operation_id="cancelSeries",
        summary="End a series: later visits still free to cancel are cancelled",
        status_code=200,
        responses={404: REFUSALS[404]},
    )
    async def cancel_series(
        self, ctx: NamedDependency[BookingContext], series_id: FromPath[uuid.UUID]
    ) -> SeriesCancelledOut:
        """Nothing new is booked on it; every later visit outside the notice period is
        cancelled free of charge; visits inside it stay booked (``kept``, with what cancelling
        each on its own would cost). Safe to repeat."""
        actor = await _customer(ctx)
        try:
            done = await series.cancel_series(
                ctx.tenant, ctx.tenant_id, str(series_id), actor.user_id or ""
            )
        except LookupError:
            raise NotFoundException() from None
        return SeriesCancelledOut(
            series=_series_out(done.series),
            cancelled=done.cancelled,
            kept=[
                KeptVisitOut(booking_id=k.booking_id, starts_at=k.starts_at, fee_fen=k.fee_fen)
                for k in done.kept
            ],
        )


def _uuid(value: str) -> str:
    """A booking id as given; one that is not a UUID names ``bookingId``."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise BookingError([QuoteProblem("booking_id", "not a booking id")]) from None
