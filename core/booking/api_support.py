"""What the booking API's handlers share: the caller and their roles, places, refusals as
problems naming the wire's fields, and the response bodies built from the services' views."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response
from litestar.exceptions import (
    NotFoundException,
    PermissionDeniedException,
)
from litestar.openapi.datastructures import ResponseSpec

from core.accounts.forms import geocoders_for, tenant_id_of
from core.accounts.schemas import CurrentUser
from core.booking import creation, lists, planning, service, views
from core.booking.cascade import offer_moved_on
from core.booking.schemas_api import (
    AdjustmentOut,
    BookingItemOut,
    BookingOut,
    BookingSummaryOut,
    CancellationOut,
    ExplanationOut,
    FactorOut,
    FindProvidersIn,
    ItemIn,
    ListSlotsIn,
    PlaceIn,
    ReviewOut,
    StepOut,
    TransitionOut,
)
from core.booking.service import Actor, BookingError, ItemRequest
from core.booking.states import PROVIDER, STAFF, TransitionError
from core.catalog.schemas_api import ProblemOut, ProblemsOut
from core.matching.ranking import Candidate
from core.tenancy.model import Tenant
from core.web.auth import current_user
from core.web.tenant import request_tenant

WIRE_NAMES = {
    "starts_at": "startsAt",
    "window_end": "windowEnd",
    "provider_id": "providerId",
    "address_id": "place.addressId",
    "address": "place.address",
    "day": "day",
}
ITEM_FIELDS = ("item", "tier", "intake", "addons")
REFUSALS = {
    400: ResponseSpec(data_container=ProblemsOut, description="Bad input, naming each field"),
    403: ResponseSpec(data_container=ProblemsOut, description="Your role may not do this"),
    404: ResponseSpec(data_container=ProblemsOut, description="No such booking of yours"),
    409: ResponseSpec(data_container=ProblemsOut, description="Not allowed in this state"),
}


def _wire(name: str, *, start_name: str, items_prefix: str) -> str:
    if name == "starts_at" or name == "when":
        return start_name
    if name.split(".", 1)[0].split("[", 1)[0] in ITEM_FIELDS:
        return items_prefix + name
    return WIRE_NAMES.get(name, name)


def problems(
    exc: BookingError, *, start_name: str = "startsAt", items_prefix: str = ""
) -> Response[ProblemsOut]:
    found = [
        ProblemOut(
            field=_wire(p.field, start_name=start_name, items_prefix=items_prefix),
            reason=p.reason,
        )
        for p in exc.problems
    ]
    detail = "; ".join(f"{p.field}: {p.reason}" for p in found)
    return Response(
        ProblemsOut(status_code=exc.status_code, detail=detail, problems=found),
        status_code=exc.status_code,
    )


def refused(exc: TransitionError) -> Response[ProblemsOut]:
    """A transition the state or the role does not allow: the reason, as ``status``."""
    return Response(
        ProblemsOut(
            status_code=exc.status_code,
            detail=exc.reason,
            problems=[ProblemOut(field="status", reason=exc.reason)],
        ),
        status_code=exc.status_code,
    )


def refusal_handler(_: Request[Any, Any, Any], exc: TransitionError) -> Response[ProblemsOut]:
    return refused(exc)


def item_requests(
    given: list[ItemIn] | list[FindProvidersIn] | list[ListSlotsIn],
) -> list[ItemRequest]:
    return [ItemRequest(i.item, i.tier, dict(i.intake), list(i.addons)) for i in given]


def booking_out(view: views.BookingView) -> BookingOut:
    return BookingOut(
        id=view.id,
        status=view.status,
        role=view.role,
        vertical=view.vertical,
        items=[
            BookingItemOut(
                item=i.item,
                tier=i.tier,
                intake=i.intake,
                addons=i.addons,
                total_fen=i.total_fen,
                duration_minutes=i.duration_minutes,
            )
            for i in view.items
        ],
        total_fen=view.total_fen,
        currency=view.currency,
        starts_at=view.starts_at,
        ends_at=view.ends_at,
        window_end=view.window_end,
        district=view.district,
        address=view.address,
        provider_id=view.provider_id,
        urgent=view.urgent,
        offer_expires_at=view.offer_expires_at,
        note=view.note,
        version=view.version,
        next_actions=view.actions,
        cancellation=CancellationOut(
            fee_fen=view.fee_if_cancelled_now,
            free_until=view.free_until,
            charged_fen=view.cancellation_fee_fen,
        ),
        can_reschedule=view.can_reschedule,
        timeline=[StepOut(state=s.state, status=s.status, at=s.at) for s in view.steps],
        transitions=[
            TransitionOut(
                from_state=t.from_state,
                to_state=t.to_state,
                actor_role=t.actor_role,
                reason=t.reason,
                at=t.at,
            )
            for t in (view.transitions if view.role in {STAFF, PROVIDER} else [])
        ],
        review=(
            ReviewOut(
                rating=view.review.rating,
                text=view.review.text,
                tags=view.review.tags,
                created_at=view.review.created_at,
            )
            if view.review
            else None
        ),
        can_review=view.can_review,
        created_at=view.created_at,
    )


def summary_out(s: lists.BookingSummary) -> BookingSummaryOut:
    return BookingSummaryOut(
        id=s.id,
        status=s.status,
        vertical=s.vertical,
        item=s.item,
        tier=s.tier,
        total_fen=s.total_fen,
        currency=s.currency,
        starts_at=s.starts_at,
        ends_at=s.ends_at,
        district=s.district,
        provider_id=s.provider_id,
        urgent=s.urgent,
        offer_expires_at=s.offer_expires_at,
    )


def explanation_out(candidate: Candidate) -> ExplanationOut:
    return ExplanationOut(
        factors=[
            FactorOut(name=f.name, detail=f.detail, score=f.score, weight=f.weight, points=f.points)
            for f in candidate.factors
        ],
        adjustments=[
            AdjustmentOut(code=code, delta=delta, reason=reason)
            for code, delta, reason in candidate.adjustments
        ],
    )


class BookingContext:
    """One API request: the tenant, its row, the caller and the roles they may act in."""

    def __init__(
        self, request: Request[Any, Any, Any], tenant: Tenant, tenant_id: str, user: CurrentUser
    ) -> None:
        self.request = request
        self.tenant = tenant
        self.tenant_id = tenant_id
        self.user = user
        self.app_context = request.app.state.doorstep

    @property
    def catalog(self) -> Any:
        return self.app_context.catalog(self.tenant)

    @property
    def plugins(self) -> Any:
        return self.app_context.plugins

    async def actors(self) -> list[Actor]:
        found = await views.actors_of(self.user, self.tenant_id)
        if not found:
            raise PermissionDeniedException("your role does not work with bookings")
        return found

    async def place(self, given: PlaceIn) -> planning.Place:
        point = (given.point.lat, given.point.lng) if given.point else None
        return await planning.resolve_place(
            self.user.id,
            self.tenant_id,
            lambda: geocoders_for(self.request, self.tenant),
            address_id=given.address_id,
            address=given.address,
            point=point,
            district=given.district,
        )

    async def actor_for(self, booking_id: uuid.UUID) -> Actor:
        try:
            booking = await service.load(self.tenant_id, str(booking_id))
        except KeyError:
            raise
        except LookupError:
            raise NotFoundException() from None
        actors = await self.actors()
        try:
            return views.actor_in(booking, actors)
        except KeyError:
            raise
        except LookupError:
            if offer_moved_on(booking, actors):  # an urgent offer they answered too late
                raise TransitionError(service.OFFER_TIMED_OUT) from None
            raise NotFoundException() from None

    async def view(
        self, booking_id: uuid.UUID, written: creation.Created | None = None
    ) -> BookingOut:
        """``written``: the booking just created (answered from the values written)."""
        try:
            found = await views.view_booking(
                self.tenant, self.tenant_id, str(booking_id), await self.actors(), written=written
            )
        except KeyError:
            raise
        except LookupError:
            raise NotFoundException() from None
        return booking_out(found)


async def booking_context(request: Request[Any, Any, Any]) -> BookingContext:
    tenant = request_tenant(request)
    user = current_user(request)
    assert user is not None  # the signed_in guard ran
    return BookingContext(request, tenant, await tenant_id_of(tenant), user)
