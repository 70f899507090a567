"""A booking as each person may see it: the customer, the assigned provider, the tenant's staff.

The full address is shown to the customer (their own, as in their address book) and to the
assigned provider only while the job is theirs to do (accepted to in progress), through
``privacy.reveal`` so every such read is in the audit log; everyone else sees the district.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core import rawsql
from core.accounts.schemas import CurrentUser
from core.booking.creation import Created
from core.booking.service import Actor, cancellation_fee, items_of, load, move_refusal, role_in
from core.booking.states import (
    ACTIVE_STATES,
    CUSTOMER,
    PROVIDER,
    REVIEWABLE,
    STAFF,
    next_states,
)
from core.booking.tables import BookingTransition, Review
from core.privacy import service as privacy
from core.providers.onboarding import profile_of_user
from core.tenancy.model import Tenant

TIMELINE = ("requested", "offered", "accepted", "en_route", "arrived", "in_progress", "completed")
"""The steps a customer watches; other states (cancelled, declined...) end or pause it."""
BOOKING_STAFF_ROLES = ("admin", "dispatcher", "support")
PERSON_ACTIONS = frozenset(
    {"accepted", "declined", "en_route", "arrived", "in_progress", "completed", "cancelled"}
)
"""Transitions a person makes with a button (the rest are the system's or the console's)."""


# --- who is asking -------------------------------------------------------------------------


async def actors_of(user: CurrentUser, tenant_id: str) -> list[Actor]:
    """The roles a signed-in user may act in, most specific first: staff; a provider (who may
    also have booked as a customer); a customer. Staff without a booking role get none."""
    if user.is_staff:
        return [Actor(STAFF, user.id)] if user.has_role(*BOOKING_STAFF_ROLES) else []
    actors = []
    if user.kind == "provider":
        found = await profile_of_user(user.id, tenant_id)
        if found is not None:
            actors.append(Actor(PROVIDER, user.id, str(found["id"])))
    return [*actors, Actor(CUSTOMER, user.id)]


def actor_in(booking: dict[str, Any], actors: list[Actor]) -> Actor:
    """The first of ``actors`` who has a role in this booking; LookupError (a 404) if none."""
    for actor in actors:
        try:
            role = role_in(booking, actor)
        except LookupError:
            continue
        return Actor(role, actor.user_id, actor.provider_id)
    raise LookupError(str(booking["id"]))


# --- one booking ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    state: str
    at: datetime | None
    status: str
    """``done``, ``current`` or ``todo``."""


@dataclass(frozen=True)
class TransitionRecord:
    from_state: str
    to_state: str
    actor_role: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class ItemLine:
    item: str
    tier: str
    intake: dict[str, Any]
    addons: list[str]
    total_fen: int
    duration_minutes: int


@dataclass(frozen=True)
class ReviewView:
    rating: int
    text: str
    tags: list[str]
    created_at: datetime


@dataclass(frozen=True)
class BookingView:
    id: str
    status: str
    role: str
    """The viewer's role in the booking: customer, provider or staff."""
    vertical: str
    items: list[ItemLine]
    total_fen: int
    currency: str
    starts_at: datetime
    ends_at: datetime
    window_end: datetime | None
    district: str
    address: str | None
    """The full address, for the customer and for the assigned provider of an active job."""
    provider_id: str | None
    urgent: bool
    offer_expires_at: datetime | None
    note: str
    version: int
    cancellation_fee_fen: int
    """Charged when it was cancelled."""
    fee_if_cancelled_now: int
    """What cancelling now would cost the viewer."""
    free_until: datetime | None
    """Until when the customer cancels or moves it for free."""
    can_reschedule: bool
    actions: list[str]
    """The transitions the viewer may make now, by button."""
    steps: list[Step]
    transitions: list[TransitionRecord]
    review: ReviewView | None
    can_review: bool
    created_at: datetime


def timeline(status: str, transitions: list[TransitionRecord]) -> list[Step]:
    """The customer's steps: done (with when), the current one, and those still to come. A
    booking that left the path (cancelled, declined...) keeps the steps it reached."""
    reached: dict[str, datetime] = {"requested": transitions[0].at} if transitions else {}
    for record in transitions:
        reached.setdefault(record.to_state, record.at)
    if status == "closed":
        status = "completed"
    current = status if status in TIMELINE else None
    steps = []
    passed = True
    for state in TIMELINE:
        if state == current:
            steps.append(Step(state, reached.get(state), "current"))
            passed = False
        elif passed and state in reached:
            steps.append(Step(state, reached[state], "done"))
        else:
            passed = False
            steps.append(Step(state, None, "todo"))
    return steps


async def transitions_of(tenant_id: str, booking_id: str) -> list[TransitionRecord]:
    rows = await rawsql.every(
        BookingTransition, order_by="at", tenant=tenant_id, booking=booking_id
    )
    return _records(rows)


def _records(rows: list[dict[str, Any]]) -> list[TransitionRecord]:
    return [
        TransitionRecord(r["from_state"], r["to_state"], r["actor_role"], r["reason"], r["at"])
        for r in rows
    ]


async def review_of(tenant_id: str, booking_id: str) -> ReviewView | None:
    row = (
        await Review.select()
        .where((Review.tenant == tenant_id) & (Review.booking == booking_id))
        .first()
    )
    if row is None:
        return None
    tags = [t for t in row["tags"].split(",") if t]
    return ReviewView(int(row["rating"]), row["text"], tags, row["created_at"])


def _item_lines(booking: dict[str, Any]) -> list[ItemLine]:
    lines = []
    for item in items_of(booking):
        quote = item.get("quote") or {}
        lines.append(
            ItemLine(
                item=item["item"],
                tier=item["tier"],
                intake=dict(item.get("intake") or {}),
                addons=list(item.get("addons") or []),
                total_fen=int(quote.get("total_fen", 0)),
                duration_minutes=int(quote.get("duration_minutes", 0)),
            )
        )
    return lines


async def _address_for(
    tenant_id: str, booking: dict[str, Any], actor: Actor, reveal: bool
) -> str | None:
    if actor.role == CUSTOMER:
        return privacy.unseal(booking["address_enc"], field="booking.address", tenant_id=tenant_id)
    if actor.role == PROVIDER and booking["status"] in ACTIVE_STATES and reveal:
        return await privacy.reveal(
            booking["address_enc"],
            field="booking.address",
            tenant_id=tenant_id,
            subject_id=booking["customer"],
            reader=privacy.Reader(actor.user_id, PROVIDER, f"job address, booking {booking['id']}"),
        )
    return None


async def view_booking(
    tenant: Tenant,
    tenant_id: str,
    booking_id: str,
    actors: list[Actor],
    *,
    now: datetime | None = None,
    reveal: bool = True,
    written: Created | None = None,
) -> BookingView:
    """The booking for the first of ``actors`` with a role in it; LookupError otherwise.
    ``reveal=False`` leaves the provider's clear address out (status polls). ``written``: the
    booking just created, from the values written (nothing read back)."""
    now = now or datetime.now(UTC)
    if written is not None:
        booking, records = written.row, _records(written.transitions)
    else:
        booking = await load(tenant_id, booking_id)
        records = await transitions_of(tenant_id, booking_id)
    actor = actor_in(booking, actors)
    role = actor.role
    # A review exists only once the job is done: a booking before that has none to read.
    review = await review_of(tenant_id, booking_id) if booking["status"] in REVIEWABLE else None
    free = timedelta(hours=tenant.config.policies.cancellation.free_until_hours)
    status = booking["status"]
    actions = [s for s in next_states(status, role) if s in PERSON_ACTIONS]
    return BookingView(
        id=str(booking["id"]),
        status=status,
        role=role,
        vertical=booking["vertical"],
        items=_item_lines(booking),
        total_fen=int(booking["total_fen"]),
        currency=booking["currency"],
        starts_at=booking["starts_at"],
        ends_at=booking["ends_at"],
        window_end=booking["window_end"],
        district=booking["district"],
        address=(
            written.address
            if written is not None and role == CUSTOMER
            else await _address_for(tenant_id, booking, actor, reveal)
        ),
        provider_id=(
            str(booking["provider"])
            if booking["provider"] and names_provider(booking, role, _accepted(records))
            else None
        ),
        urgent=bool(booking["urgent"]),
        offer_expires_at=booking["offer_expires_at"],
        note=booking["note"],
        version=int(booking["version"]),
        cancellation_fee_fen=int(booking["cancellation_fee_fen"]),
        fee_if_cancelled_now=(
            cancellation_fee(tenant, booking, role, now) if "cancelled" in actions else 0
        ),
        free_until=booking["starts_at"] - free if role == CUSTOMER else None,
        can_reschedule=move_refusal(tenant, booking, role, now) is None,
        actions=actions,
        steps=timeline(status, records),
        transitions=records,
        review=review,
        can_review=role == CUSTOMER and status in REVIEWABLE and review is None,
        created_at=booking["created_at"],
    )


AFTER_ACCEPTANCE = frozenset({*ACTIVE_STATES, "completed", "closed", "no_show"})
"""States a booking reaches only after its provider accepted it."""


def names_provider(booking: dict[str, Any], role: str, accepted: bool) -> bool:
    """Whether ``role`` may see who the booking's provider is. An urgent request is offered to
    one provider after another: its customer learns who comes once one accepted (``accepted``:
    the booking was accepted), never who is being asked."""
    return role != CUSTOMER or not booking["urgent"] or accepted


def _accepted(records: list[TransitionRecord]) -> bool:
    return any(r.to_state == "accepted" for r in records)
