"""Booking rules: the one state machine (transitions, guarded by role and state, each audited
and announced), the cancellation policy, who may see a booking, and what every booking write
shares (its audit row and outbox event). Creating a booking is ``creation``; moving one,
``moves``; reviews, ``reviews``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from core import rawsql
from core.booking.states import (
    CUSTOMER,
    HOLDING_STATES,
    PROVIDER,
    STAFF,
    SYSTEM,
    TransitionError,
    check_transition,
)
from core.booking.tables import Booking, BookingTransition
from core.catalog.pricing import QuoteProblem
from core.db import is_deadlock, is_unique_or_exclusion_violation, write_transaction
from core.dispatch.schemas import great_circle_km
from core.matching.version import bump_matching_version
from core.notifications.outbox import event_row
from core.notifications.tables import OutboxEvent
from core.privacy import service as privacy
from core.providers.tables import ProviderProfile
from core.tenancy.model import Tenant
from core.tenancy.scoped import within_tenant


class BookingError(Exception):
    """A request that cannot be booked; every problem names its field. 4xx."""

    def __init__(self, problems: list[QuoteProblem], status_code: int = 400) -> None:
        self.problems = problems
        self.status_code = status_code
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in problems))


class SlotTaken(BookingError):
    def __init__(self) -> None:
        super().__init__(
            [QuoteProblem("starts_at", "that time was just taken; choose another")], 409
        )


@dataclass(frozen=True)
class Actor:
    """Who acts: a user with a role in this booking, or the system (jobs, the cascade)."""

    role: str
    user_id: str | None = None
    provider_id: str | None = None


SYSTEM_ACTOR = Actor(role=SYSTEM)


@dataclass(frozen=True)
class ItemRequest:
    item: str
    tier: str
    intake: dict[str, Any] = field(default_factory=dict)
    addons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BookingRequest:
    items: list[ItemRequest]
    starts_at: datetime
    address: str
    point: tuple[float, float]
    district: str = ""
    window_end: datetime | None = None
    provider_id: str | None = None
    """A provider the customer chose; None means "best available"."""
    urgent: bool = False
    note: str = ""
    complimentary: bool = False
    """A free re-service granted for a complaint (``core.quality``): the customer pays nothing."""


# --- what every booking write shares -------------------------------------------------------


async def record(
    tenant_id: str,
    booking_id: str,
    from_state: str,
    to_state: str,
    actor: Actor,
    reason: str,
    now: datetime,
) -> dict[str, Any]:
    """The audit row and the outbox event, in the caller's transaction. Returns the audit
    row written."""
    audit, event = record_rows(tenant_id, booking_id, from_state, to_state, actor, reason, now)
    await write_record(tenant_id, audit, event)
    return audit


def record_rows(
    tenant_id: str,
    booking_id: str,
    from_state: str,
    to_state: str,
    actor: Actor,
    reason: str,
    now: datetime,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A transition's audit row and its event's payload (made before a write transaction)."""
    audit = {
        "tenant": tenant_id,
        "booking": booking_id,
        "from_state": from_state,
        "to_state": to_state,
        "actor": actor.user_id,
        "actor_role": actor.role,
        "reason": reason[:300],
        "at": now,
    }
    event = {
        "booking_id": booking_id,
        "from": from_state,
        "to": to_state,
        "actor_role": actor.role,
        "at": now.isoformat(),
        "reason": reason[:300],
    }
    return audit, event


async def write_record(
    tenant_id: str,
    audit: dict[str, Any],
    event: dict[str, Any],
    booking: dict[str, Any] | None = None,
) -> None:
    """The audit row and the outbox event (after ``booking``, a new booking's row, if given):
    one statement on PostgreSQL (``rawsql.insert_together``)."""
    await rawsql.insert_together(
        (Booking, [booking] if booking is not None else []),
        (BookingTransition, [audit]),
        (OutboxEvent, [event_row(tenant_id, "booking.transition", event)]),
    )


def items_of(booking: dict[str, Any]) -> list[dict[str, Any]]:
    """A booking's items (its JSON column: text on SQLite, parsed on PostgreSQL)."""
    items = booking["items"]
    return json.loads(items) if isinstance(items, str) else items


# --- transitions ----------------------------------------------------------------------------


async def load(tenant_id: str, booking_id: str) -> dict[str, Any]:
    row = await rawsql.first(Booking, id=booking_id, tenant=tenant_id)
    if row is None:
        raise LookupError(booking_id)
    return row


def role_in(booking: dict[str, Any], actor: Actor) -> str:
    """The actor's role in this booking; a stranger gets LookupError (a 404, not a 403)."""
    if actor.role in {SYSTEM, STAFF}:
        return actor.role
    if actor.role == CUSTOMER and str(booking["customer"]) == actor.user_id:
        return CUSTOMER
    if (
        actor.role == PROVIDER
        and booking["provider"] is not None
        and str(booking["provider"]) == actor.provider_id
    ):
        return PROVIDER
    raise LookupError(str(booking["id"]))


@within_tenant
async def transition(
    tenant: Tenant,
    tenant_id: str,
    booking_id: str,
    target: str,
    actor: Actor,
    *,
    reason: str = "",
    position: tuple[float, float] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Move a booking to ``target`` if the state and the actor's role allow it. Optimistic:
    the row's version must not have moved underneath. Returns the updated row."""
    now = now or datetime.now(UTC)
    try:
        async with write_transaction():
            booking = await load(tenant_id, booking_id)
            role = role_in(booking, actor)
            check_transition(booking["status"], target, role)
            if target == "accepted" and _offer_timed_out(booking, now):
                raise TransitionError(OFFER_TIMED_OUT)
            values: dict[Any, Any] = {
                Booking.status: target,
                Booking.updated_at: now,
                Booking.version: booking["version"] + 1,
            }
            if target == "arrived":
                _check_geofence(tenant, tenant_id, booking, position)
            if target == "cancelled":
                values[Booking.cancellation_fee_fen] = cancellation_fee(tenant, booking, role, now)
            if target in HOLDING_STATES and booking["status"] not in HOLDING_STATES:
                # Holding the provider's time again (a re-offer after a decline or expiry):
                # only if nobody took it meanwhile.
                await _check_still_free(tenant_id, booking)
            changed = (
                await Booking.update(values)
                .where((Booking.id == booking_id) & (Booking.version == booking["version"]))
                .returning(Booking.id)
            )
            if not changed:
                raise TransitionError("the booking changed meanwhile; reload and try again")
            await record(tenant_id, booking_id, booking["status"], target, actor, reason, now)
            holding = (booking["status"] in HOLDING_STATES, target in HOLDING_STATES)
            if holding[0] != holding[1] and booking["provider"] is not None:
                await bump_matching_version(tenant_id, booking["provider"], holds=True)
            if target == "completed" and booking["provider"] is not None:
                await ProviderProfile.update(
                    {ProviderProfile.jobs_done: ProviderProfile.jobs_done + 1}
                ).where(ProviderProfile.id == booking["provider"])
    except Exception as exc:
        if is_unique_or_exclusion_violation(exc) or is_deadlock(exc):
            raise TransitionError(TAKEN_MEANWHILE) from None
        raise
    return {
        **booking,
        "status": target,
        "version": booking["version"] + 1,
        "updated_at": now,
        "cancellation_fee_fen": values.get(
            Booking.cancellation_fee_fen, booking["cancellation_fee_fen"]
        ),
    }


TAKEN_MEANWHILE = "the provider's time was taken meanwhile; choose another time"
OFFER_TIMED_OUT = "this offer expired before you accepted it; it went to another provider"


def _offer_timed_out(booking: dict[str, Any], now: datetime) -> bool:
    """An urgent offer is the provider's only until its time-out, even before the worker has
    moved it on to the next provider."""
    expires = booking["offer_expires_at"]
    return bool(booking["urgent"]) and expires is not None and now >= expires


async def _check_still_free(tenant_id: str, booking: dict[str, Any]) -> None:
    """The booking's provider holds no other booking overlapping its hold (inside the write
    transaction: SQLite's single writer makes this final; PostgreSQL's constraint also)."""
    if booking["provider"] is None:
        return
    if await Booking.exists().where(
        (Booking.tenant == tenant_id)
        & (Booking.provider == booking["provider"])
        & (Booking.id != booking["id"])
        & Booking.status.is_in(list(HOLDING_STATES))
        & (Booking.hold_start < booking["hold_end"])
        & (Booking.hold_end > booking["hold_start"])
    ):
        raise TransitionError(TAKEN_MEANWHILE)


def _check_geofence(
    tenant: Tenant, tenant_id: str, booking: dict[str, Any], position: tuple[float, float] | None
) -> None:
    radius = tenant.config.policies.booking.geofence_m
    if position is None:
        raise TransitionError("share your location to check in at the address", 400)
    metres = metres_from_address(tenant_id, booking, position)
    if metres > radius:
        raise TransitionError(
            f"you are {metres:.0f} m from the address; check in within {radius} m", 400
        )


def metres_from_address(
    tenant_id: str, booking: dict[str, Any], position: tuple[float, float]
) -> float:
    """Great-circle metres from ``position`` to the booking's address: the one distance rule
    of check-in (the geofence) and of the safety watch (``core.safety``)."""
    lat, lng = privacy.unseal(
        booking["point_enc"], field="booking.point", tenant_id=tenant_id
    ).split(",")
    return great_circle_km(float(lat), float(lng), *position) * 1000


def cancellation_fee(tenant: Tenant, booking: dict[str, Any], role: str, now: datetime) -> int:
    """Free until the tenant's notice period before the start; then the late fee (never more
    than the booking). Only a customer's late cancellation costs anything."""
    policy = tenant.config.policies.cancellation
    if role != CUSTOMER or booking["status"] not in HOLDING_STATES:
        return 0
    if booking.get("urgent") and booking["status"] == "offered":
        return 0  # an urgent search nobody has accepted yet: stopping it is free
    if booking["starts_at"] - now >= timedelta(hours=policy.free_until_hours):
        return 0
    return min(policy.late_fee_fen, int(booking["total_fen"]))


def move_refusal(
    tenant: Tenant, booking: dict[str, Any], role: str, now: datetime
) -> TransitionError | None:
    """Why ``role`` may not move this booking now (None: they may): only the customer (or
    staff), only while offered or accepted, and a customer only within the free period."""
    if role not in {CUSTOMER, STAFF}:
        return TransitionError(f"a {role} cannot move a booking; the customer can", 403)
    if booking["status"] not in {"offered", "accepted"}:
        return TransitionError(f"a booking that is {booking['status']} cannot be moved")
    free = timedelta(hours=tenant.config.policies.cancellation.free_until_hours)
    if role == CUSTOMER and booking["starts_at"] - now < free:
        return TransitionError("too close to the start to move it; cancel instead", 400)
    return None
