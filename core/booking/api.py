"""Booking API v1: find providers, open slots, book, follow and move a booking, review it.

Thin: the rules live in ``creation`` (booking), ``service`` (the state machine, the policy),
``moves`` (rescheduling), ``reviews``, ``planning`` (what can be booked) and ``views`` (who sees
what). Refusals are 4xx naming the field or the reason: 400 bad
input, 403 a role that may not do this, 404 a booking that is not yours, 409 a state that
does not allow it (or a time just taken).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import (
    ClientException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from core.booking import creation, lists, moves, planning, reviews, service
from core.booking.api_support import (
    REFUSALS,
    BookingContext,
    booking_context,
    explanation_out,
    item_requests,
    problems,
    refusal_handler,
    refused,
    summary_out,
)
from core.booking.cascade import decline_and_cascade
from core.booking.schemas_api import (
    BookingOut,
    BookingSummaryOut,
    CandidateOut,
    CheckInIn,
    CreateBookingIn,
    CreatedReviewOut,
    FindProvidersIn,
    FindProvidersOut,
    ListSlotsIn,
    ListSlotsOut,
    ReasonIn,
    RescheduleIn,
    ReviewIn,
    SlotOut,
)
from core.booking.service import BookingError
from core.booking.states import CUSTOMER, PROVIDER, STAFF, TransitionError
from core.catalog.api import request_problems
from core.web.auth import signed_in
from core.web.tenant import request_tenant

_items = item_requests
"""Kept under this name for ``api_urgent``."""


class BookingApi(Controller):
    path = "/api/v1"
    tags = ["booking"]
    guards = [signed_in]
    dependencies = {
        "tenant": Provide(request_tenant, sync_to_thread=False),
        "ctx": Provide(booking_context),
    }
    exception_handlers = {ClientException: request_problems, TransitionError: refusal_handler}

    @post(
        "/providers/search",
        operation_id="findProviders",
        summary="Rank the providers who could do a job at a start time",
        status_code=200,
        responses=REFUSALS,
    )
    async def find_providers(
        self, ctx: NamedDependency[BookingContext], data: JSONBody[FindProvidersIn]
    ) -> Response[Any]:
        """Best first. Customers see who could come; staff also see each score's explanation;
        a provider sees only themselves, with their own explanation."""
        items = item_requests([data])
        try:
            place = await ctx.place(data.place)
            quotes, ranked = await planning.find_providers(
                ctx.plugins, ctx.tenant, ctx.tenant_id, ctx.catalog, items, place, data.start
            )
        except BookingError as exc:
            return problems(exc, start_name="start")
        actors = await ctx.actors()
        role = actors[0].role
        if role == PROVIDER:
            ranked = [c for c in ranked if c.provider_id == actors[0].provider_id]
        cards = await lists.provider_cards(
            ctx.tenant, ctx.tenant_id, [c.provider_id for c in ranked], datetime.now(UTC)
        )
        explained = role in {STAFF, PROVIDER}
        return Response(
            FindProvidersOut(
                total_fen=sum(q.total_fen for q in quotes),
                duration_minutes=sum(q.duration_minutes for q in quotes),
                candidates=[
                    CandidateOut(
                        provider_id=c.provider_id,
                        rank=n,
                        display_name=cards[c.provider_id].display_name,
                        avatar_url=cards[c.provider_id].avatar_url,
                        rating=cards[c.provider_id].rating,
                        rating_count=cards[c.provider_id].rating_count,
                        distance_km=c.distance_km,
                        travel_minutes=c.travel_minutes,
                        score=c.score if explained else None,
                        explanation=explanation_out(c) if explained else None,
                    )
                    for n, c in enumerate(ranked, start=1)
                    if c.provider_id in cards
                ],
            )
        )

    @post(
        "/slots",
        operation_id="listSlots",
        summary="Start times on a day that a provider can reach",
        status_code=200,
        responses=REFUSALS,
    )
    async def list_slots(
        self, ctx: NamedDependency[BookingContext], data: JSONBody[ListSlotsIn]
    ) -> Response[Any]:
        """Every start time on the day (tenant time zone) that some eligible provider, or the
        one named, can make, with how many providers could come."""
        try:
            place = await ctx.place(data.place)
            quotes, slots = await planning.open_slots(
                ctx.plugins,
                ctx.tenant,
                ctx.tenant_id,
                ctx.catalog,
                item_requests([data]),
                place,
                data.day,
                provider_id=data.provider_id,
            )
        except BookingError as exc:
            return problems(exc)
        return Response(
            ListSlotsOut(
                day=data.day,
                duration_minutes=sum(q.duration_minutes for q in quotes),
                total_fen=sum(q.total_fen for q in quotes),
                slots=[SlotOut(starts_at=start, providers=n) for start, n in slots],
            )
        )

    @post(
        "/bookings",
        operation_id="createBooking",
        summary="Book: offered to the chosen provider or the best available",
        responses=REFUSALS,
    )
    async def create_booking(
        self, ctx: NamedDependency[BookingContext], data: JSONBody[CreateBookingIn]
    ) -> Response[Any]:
        """201 with the booking. 400 naming each field; 409 when the time was just taken or no
        provider can come then."""
        actors = await ctx.actors()
        if actors[0].role == STAFF:
            raise PermissionDeniedException("customers book for themselves")
        prefix = "items[0]." if len(data.items) == 1 else ""
        try:
            place = await ctx.place(data.place)
            created = await creation.book(
                ctx.plugins,
                ctx.tenant,
                ctx.tenant_id,
                ctx.catalog,
                ctx.user.id,
                service.BookingRequest(
                    items=item_requests(data.items),
                    starts_at=data.starts_at,
                    address=place.address,
                    point=place.point,
                    district=place.district,
                    window_end=data.window_end,
                    provider_id=data.provider_id,
                    note=data.note,
                ),
            )
        except BookingError as exc:
            return problems(exc, items_prefix=prefix)
        booking_id = uuid.UUID(str(created.row["id"]))
        return Response(await ctx.view(booking_id, written=created), status_code=201)

    @get("/bookings", operation_id="listBookings", summary="Your bookings (staff: the tenant's)")
    async def list_bookings(
        self,
        ctx: NamedDependency[BookingContext],
        status: FromQuery[str | None] = None,
        date_: Annotated[date | None, QueryParameter(name="date")] = None,
        provider_id: Annotated[uuid.UUID | None, QueryParameter(name="providerId")] = None,
        vertical: FromQuery[str | None] = None,
    ) -> list[BookingSummaryOut]:
        """A customer's own, a provider's assigned jobs, or every booking of the tenant for
        staff; filter by ``status``, ``date`` (tenant time zone), ``providerId``, ``vertical``."""
        actors = await ctx.actors()
        found = await lists.list_bookings(
            ctx.tenant,
            ctx.tenant_id,
            actors[0],
            status=status,
            day=date_,
            provider_id=str(provider_id) if provider_id else None,
            vertical=vertical,
        )
        return [summary_out(s) for s in found]

    @get(
        "/bookings/{booking_id:uuid}",
        operation_id="getBooking",
        summary="One booking: status, timeline, what you may do next",
        responses={404: REFUSALS[404]},
    )
    async def get_booking(
        self, ctx: NamedDependency[BookingContext], booking_id: FromPath[uuid.UUID]
    ) -> BookingOut:
        return await ctx.view(booking_id)

    async def _move(
        self,
        ctx: BookingContext,
        booking_id: uuid.UUID,
        target: str,
        reason: str = "",
        position: tuple[float, float] | None = None,
    ) -> Response[Any]:
        actor = await ctx.actor_for(booking_id)
        try:
            if target == "declined" and actor.role == PROVIDER:
                await decline_and_cascade(
                    ctx.plugins, ctx.tenant, ctx.tenant_id, ctx.catalog, str(booking_id), actor
                )
            else:
                await service.transition(
                    ctx.tenant,
                    ctx.tenant_id,
                    str(booking_id),
                    target,
                    actor,
                    reason=reason,
                    position=position,
                )
        except TransitionError as exc:
            return refused(exc)
        return Response(await ctx.view(booking_id), status_code=200)

    @post(
        "/bookings/{booking_id:uuid}/accept",
        operation_id="acceptBooking",
        summary="The offered provider accepts",
        status_code=200,
        responses=REFUSALS,
    )
    async def accept(
        self, ctx: NamedDependency[BookingContext], booking_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        return await self._move(ctx, booking_id, "accepted")

    @post(
        "/bookings/{booking_id:uuid}/decline",
        operation_id="declineBooking",
        summary="The offered provider declines (an urgent request moves on to the next)",
        status_code=200,
        responses=REFUSALS,
    )
    async def decline(
        self,
        ctx: NamedDependency[BookingContext],
        booking_id: FromPath[uuid.UUID],
        data: JSONBody[ReasonIn | None] = None,
    ) -> Response[Any]:
        return await self._move(ctx, booking_id, "declined", data.reason if data else "")

    @post(
        "/bookings/{booking_id:uuid}/travel",
        operation_id="startTravel",
        summary="The provider is on the way",
        status_code=200,
        responses=REFUSALS,
    )
    async def start_travel(
        self, ctx: NamedDependency[BookingContext], booking_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        return await self._move(ctx, booking_id, "en_route")

    @post(
        "/bookings/{booking_id:uuid}/check-in",
        operation_id="checkIn",
        summary="The provider arrived: accepted only within the tenant's geofence",
        status_code=200,
        responses=REFUSALS,
    )
    async def check_in(
        self,
        ctx: NamedDependency[BookingContext],
        booking_id: FromPath[uuid.UUID],
        data: JSONBody[CheckInIn],
    ) -> Response[Any]:
        """400 with the distance when the phone is farther from the address than allowed."""
        position = (data.position.lat, data.position.lng)
        return await self._move(ctx, booking_id, "arrived", position=position)

    @post(
        "/bookings/{booking_id:uuid}/start",
        operation_id="startWork",
        summary="The provider starts the work",
        status_code=200,
        responses=REFUSALS,
    )
    async def start_work(
        self, ctx: NamedDependency[BookingContext], booking_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        return await self._move(ctx, booking_id, "in_progress")

    @post(
        "/bookings/{booking_id:uuid}/complete",
        operation_id="completeBooking",
        summary="The provider finished the job",
        status_code=200,
        responses=REFUSALS,
    )
    async def complete(
        self, ctx: NamedDependency[BookingContext], booking_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        return await self._move(ctx, booking_id, "completed")

    @post(
        "/bookings/{booking_id:uuid}/cancel",
        operation_id="cancelBooking",
        summary="Cancel; free until the tenant's notice period, then the late fee",
        status_code=200,
        responses=REFUSALS,
    )
    async def cancel(
        self,
        ctx: NamedDependency[BookingContext],
        booking_id: FromPath[uuid.UUID],
        data: JSONBody[ReasonIn | None] = None,
    ) -> Response[Any]:
        """The booking's ``cancellation.feeFen`` says beforehand what cancelling costs;
        afterwards ``cancellation.chargedFen`` is what was charged."""
        return await self._move(ctx, booking_id, "cancelled", data.reason if data else "")

    @post(
        "/bookings/{booking_id:uuid}/reschedule",
        operation_id="rescheduleBooking",
        summary="Move the booking, within the free period, to a time its provider can make",
        status_code=200,
        responses=REFUSALS,
    )
    async def reschedule(
        self,
        ctx: NamedDependency[BookingContext],
        booking_id: FromPath[uuid.UUID],
        data: JSONBody[RescheduleIn],
    ) -> Response[Any]:
        actor = await ctx.actor_for(booking_id)
        try:
            await moves.reschedule(
                ctx.plugins,
                ctx.tenant,
                ctx.tenant_id,
                ctx.catalog,
                str(booking_id),
                actor,
                data.starts_at,
            )
        except BookingError as exc:
            return problems(exc)
        except TransitionError as exc:
            return refused(exc)
        except LookupError:
            raise NotFoundException() from None
        return Response(await ctx.view(booking_id), status_code=200)

    @post(
        "/bookings/{booking_id:uuid}/review",
        operation_id="createReview",
        summary="The customer rates a completed booking (once)",
        responses=REFUSALS,
    )
    async def create_review(
        self,
        ctx: NamedDependency[BookingContext],
        booking_id: FromPath[uuid.UUID],
        data: JSONBody[ReviewIn],
    ) -> Response[Any]:
        """201. 409 before completion or when the booking has its review already."""
        actor = await ctx.actor_for(booking_id)
        if actor.role != CUSTOMER:
            return refused(TransitionError("only the customer reviews a booking", 403))
        try:
            review_id = await reviews.create_review(
                ctx.tenant_id, str(booking_id), ctx.user.id, data.rating, data.text, data.tags
            )
        except BookingError as exc:
            return problems(exc)
        return Response(CreatedReviewOut(id=review_id), status_code=201)
