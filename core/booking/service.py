"""Booking rules: create (one write path, no double booking), transitions through the one
state machine, cancellation policy, reschedule, reviews, who may see a booking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core import rawsql
from core.booking.schemas import BookingDraft
from core.booking.states import (
    CUSTOMER,
    HOLDING_STATES,
    PROVIDER,
    REVIEWABLE,
    STAFF,
    SYSTEM,
    TransitionError,
    check_transition,
)
from core.booking.tables import Booking, BookingTransition, Review
from core.catalog.model import TenantCatalog
from core.catalog.pricing import Quote, QuoteError, QuoteProblem
from core.catalog.service import VisitItem, quote_visit
from core.db import is_deadlock, is_unique_or_exclusion_violation, write, write_transaction
from core.dispatch.schemas import great_circle_km
from core.ids import new_id
from core.matching.index import bump_matching_version
from core.matching.ranking import Candidate
from core.matching.service import (
    JobRequest,
    find_candidates,
    serves_area,
    still_clear,
)
from core.notifications.outbox import event_row
from core.notifications.tables import OutboxEvent
from core.privacy import service as privacy
from core.providers.tables import ProviderProfile
from core.tenancy.model import Tenant
from core.tenancy.scoped import within_tenant

OUTSIDE_AREA = "no provider serves this address yet"


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


async def _quotes(
    plugins: Any, tenant: Tenant, catalog: TenantCatalog, request: BookingRequest, now: datetime
) -> list[Quote]:
    problems: list[QuoteProblem] = []
    quotes = []
    if not request.items:
        raise BookingError([QuoteProblem("items", "choose at least one service")])
    verticals = set()
    priced = await quote_visit(
        plugins,
        tenant,
        catalog,
        [VisitItem(w.item, w.tier, w.intake, w.addons) for w in request.items],
        when=request.starts_at,
        now=now,
    )
    for n, (wanted, found) in enumerate(zip(request.items, priced, strict=True)):
        if isinstance(found, QuoteError):
            prefix = f"items[{n}]." if len(request.items) > 1 else ""
            problems += [QuoteProblem(prefix + p.field, p.reason) for p in found.problems]
            continue
        quotes.append(found)
        verticals.add(wanted.item.split(".", 1)[0])
    if len(verticals) > 1:
        problems.append(QuoteProblem("items", "book services of one kind together"))
    if problems:
        raise BookingError(problems)
    return quotes


def _check_request(tenant: Tenant, request: BookingRequest, now: datetime) -> None:
    problems = []
    if request.starts_at.tzinfo is None:
        problems.append(QuoteProblem("starts_at", "must include a time zone"))
    else:
        lead = timedelta(
            minutes=0 if request.urgent else tenant.config.policies.booking.lead_time_minutes
        )
        if request.starts_at < now - timedelta(minutes=1):
            problems.append(QuoteProblem("starts_at", "is in the past"))
        elif request.starts_at < now + lead:
            problems.append(
                QuoteProblem("starts_at", f"book at least {lead.seconds // 60} minutes ahead")
            )
        elif request.starts_at > now + timedelta(days=120):
            problems.append(QuoteProblem("starts_at", "book at most 120 days ahead"))
        elif not request.urgent and not within_service_hours(tenant, request.starts_at):
            problems.append(outside_hours(tenant))
        if (
            request.window_end is not None
            and not request.starts_at < request.window_end <= request.starts_at + timedelta(hours=6)
        ):
            problems.append(
                QuoteProblem("window_end", "a window ends after it starts, within 6 hours")
            )
    lat, lng = request.point
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        problems.append(QuoteProblem("address", "the address has no valid location"))
    if not request.address.strip():
        problems.append(QuoteProblem("address", "give the service address"))
    if problems:
        raise BookingError(problems)


def within_service_hours(tenant: Tenant, moment: datetime) -> bool:
    """Whether a start lies between the tenant's day start and day end (its local time)."""
    policy = tenant.config.policies.booking
    local = moment.astimezone(ZoneInfo(tenant.config.timezone)).time()
    return time.fromisoformat(policy.day_starts) <= local <= time.fromisoformat(policy.day_ends)


def outside_hours(tenant: Tenant) -> QuoteProblem:
    policy = tenant.config.policies.booking
    return QuoteProblem(
        "starts_at",
        f"outside service hours: choose a time between {policy.day_starts} and {policy.day_ends}",
    )


@within_tenant
async def create_booking(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    customer_id: str,
    request: BookingRequest,
    now: datetime | None = None,
) -> str:
    """Create a booking offered to the chosen provider, or to the best available one; its id.
    See ``book``."""
    created = await book(plugins, tenant, tenant_id, catalog, customer_id, request, now)
    return str(created.row["id"])


@dataclass(frozen=True)
class Created:
    """A booking just written: its row and its audit rows as ``load`` and the audit read them
    back, from the values written (the answer to the request needs no second read)."""

    row: dict[str, Any]
    transitions: list[dict[str, Any]]
    address: str
    """The address as the customer gave it (sealed in ``row``): their answer shows it without
    decrypting what was just encrypted."""


@within_tenant
async def book(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    customer_id: str,
    request: BookingRequest,
    now: datetime | None = None,
) -> Created:
    """Create a booking offered to the chosen provider, or to the best available one.

    The provider's time is checked and held in one write transaction: on SQLite the single
    writer path serialises it; on PostgreSQL the exclusion constraint rejects a second hold.
    Raises BookingError (4xx, naming each field) or SlotTaken (409).
    """
    now = now or datetime.now(UTC)
    _check_request(tenant, request, now)
    quotes = await _quotes(plugins, tenant, catalog, request, now)
    vertical = request.items[0].item.split(".", 1)[0]
    hooks = plugins.for_tenant(tenant)
    draft_problems = []
    for n, (wanted, quoted) in enumerate(zip(request.items, quotes, strict=True)):
        draft = BookingDraft(
            vertical=vertical,
            item=wanted.item.split(".", 1)[1],
            tier=wanted.tier,
            starts_at=request.starts_at,
            intake=quoted.intake,
        )
        prefix = f"items[{n}]." if len(request.items) > 1 else ""
        draft_problems += [
            QuoteProblem(prefix + p.field, p.reason)
            for found in hooks.validate_booking(draft=draft)
            for p in found or []
        ]
    if draft_problems:
        raise BookingError(draft_problems)
    duration = sum(q.duration_minutes for q in quotes)
    job = JobRequest(
        item_ref=request.items[0].item,
        more_items=tuple(wanted.item for wanted in request.items[1:]),
        point=request.point,
        starts_at=request.starts_at,
        duration_minutes=duration,
        district=request.district,
        context={"minor_student": _minor(tenant, quotes)},
    )
    buffer = timedelta(minutes=tenant.config.policies.booking.travel_buffer_minutes)
    ends_at = request.starts_at + timedelta(minutes=duration)
    booking_id = str(new_id())
    # Every rule is checked before the write path (reads only): the single writer then holds
    # its lock just to confirm the provider's time is still clear and to insert.
    if request.provider_id is not None:
        ranked = await find_candidates(
            plugins,
            tenant,
            tenant_id,
            catalog,
            job,
            now=now,
            only=request.provider_id,
            ranking=False,
            holds_later=True,  # _confirm checks them, in the write transaction
        )
        if not ranked:
            raise BookingError([QuoteProblem("provider_id", CHOSEN_CANNOT)], 409)
    else:
        ranked = await find_candidates(
            plugins, tenant, tenant_id, catalog, job, now=now, limit=CONFIRM_TRIES
        )
        if not ranked:
            if not await serves_area(tenant_id, job.item_ref, job.point, job.district):
                raise BookingError([QuoteProblem("address", OUTSIDE_AREA)])
            raise BookingError([QuoteProblem("starts_at", NOBODY_THEN)], 409)
    # The rows are made before the write transaction (sealing, the items' JSON): the single
    # writer then holds its lock only to check the provider's time and to insert.
    offer_timeout = timedelta(seconds=tenant.config.policies.booking.offer_timeout_seconds)
    address = request.address.strip()
    row: dict[str, Any] = {
        "id": booking_id,
        "tenant": tenant_id,
        "customer": customer_id,
        "provider": None,
        "status": "offered",
        "vertical": vertical,
        "items": [_item_record(w, q) for w, q in zip(request.items, quotes, strict=True)],
        "total_fen": 0 if request.complimentary else sum(q.total_fen for q in quotes),
        "currency": tenant.config.currency,
        "address_enc": privacy.seal(address, field="booking.address", tenant_id=tenant_id),
        "point_enc": privacy.seal(
            f"{request.point[0]:.6f},{request.point[1]:.6f}",
            field="booking.point",
            tenant_id=tenant_id,
        ),
        "district": request.district[:60],
        "starts_at": request.starts_at,
        "ends_at": ends_at,
        "window_end": request.window_end,
        "hold_start": request.starts_at - buffer,
        "hold_end": ends_at + buffer,
        "urgent": request.urgent,
        "offer_expires_at": now + offer_timeout if request.urgent else request.starts_at,
        "note": request.note.strip()[:500],
        "created_at": now,
        "updated_at": now,
    }
    audit, event = _record_rows(
        tenant_id, booking_id, "requested", "offered", Actor(CUSTOMER, customer_id), "", now
    )
    taken: set[str] = set()
    tried: list[str] = []

    async def hold() -> None:
        """The write itself: the provider whose time is still clear, and the rows."""
        provider_id = await _confirm(
            plugins, tenant, tenant_id, catalog, job, now, request.provider_id, ranked, taken
        )
        tried.append(provider_id)
        row["provider"] = provider_id
        await _write_record(tenant_id, audit, event, booking=row)
        await bump_matching_version(tenant_id, provider_id, holds=True)

    for attempt in range(BEST_AVAILABLE_ATTEMPTS):
        tried.clear()
        try:
            # The committer runs it back to back with the other bookings of its group (SQLite).
            await write(hold)
        except Exception as exc:
            provider_id = tried[-1] if tried else None
            last = attempt == BEST_AVAILABLE_ATTEMPTS - 1
            if is_deadlock(exc):
                # PostgreSQL: a concurrent booking of the same time and ours waited for each
                # other; ours was undone. Looking again meets the other's outcome.
                if last:
                    raise SlotTaken() from None
                continue
            if not is_unique_or_exclusion_violation(exc):
                raise
            if request.provider_id is not None or provider_id is None or last:
                raise SlotTaken() from None
            # PostgreSQL: a concurrent booking took the best provider after we looked (the
            # exclusion constraint said so); "best available" tries the next best.
            taken.add(provider_id)
            continue
        return Created(_as_read(row), [audit], address)
    raise SlotTaken()


READ_BACK: dict[str, Any] = {
    "series": None,
    "cascade_step": 0,
    "offered_to": [],
    "cancellation_fee_fen": 0,
}
"""The columns a new booking leaves to their defaults, as they read back (and version 1)."""


def _as_read(row: dict[str, Any]) -> dict[str, Any]:
    """A booking's values as written, as ``load`` reads them back: every column, moments in
    UTC (``tests/booking/test_api.py`` compares the two answers)."""
    out = {**READ_BACK, "version": 1, **row}
    return {k: v.astimezone(UTC) if isinstance(v, datetime) else v for k, v in out.items()}


BEST_AVAILABLE_ATTEMPTS = 4
"""How many providers a "best available" booking tries when concurrent bookings take them."""
CONFIRM_TRIES = 5
NOBODY_THEN = "no provider can come then; choose another time"
CHOSEN_CANNOT = "this provider cannot come then; choose another time"


async def _confirm(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    job: JobRequest,
    now: datetime,
    chosen: str | None,
    ranked: list[Candidate],
    taken: set[str],
) -> str:
    """Inside the write transaction: the provider whose time is still clear now. Every rule
    was checked by the ranking made just before; what concurrent bookings change (holds and
    the travel between jobs) is checked again here. The chosen one, or the best of the
    ranking; if the first few are no longer clear, the ranking is made again here."""
    if chosen is not None:
        if ranked and await still_clear(tenant, tenant_id, ranked[0], job):
            return chosen
        raise BookingError([QuoteProblem("provider_id", CHOSEN_CANNOT)], 409)
    for candidate in [c for c in ranked if c.provider_id not in taken][:CONFIRM_TRIES]:
        if await still_clear(tenant, tenant_id, candidate, job):
            return candidate.provider_id
        taken.add(candidate.provider_id)
    again = await find_candidates(
        plugins, tenant, tenant_id, catalog, job, now=now, exclude=taken, limit=1
    )
    if not again:
        raise BookingError([QuoteProblem("starts_at", NOBODY_THEN)], 409)
    return again[0].provider_id


def _minor(tenant: Tenant, quotes: list[Quote]) -> bool:
    return any(
        isinstance(q.intake.get("student_age"), int) and q.intake["student_age"] < 18
        for q in quotes
    )


def _item_record(wanted: ItemRequest, quote: Quote) -> dict[str, Any]:
    import msgspec

    return {
        "item": wanted.item,
        "tier": wanted.tier,
        "intake": quote.intake,
        "addons": quote.addons,
        "quote": msgspec.to_builtins(quote),
    }


async def _record(
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
    audit, event = _record_rows(tenant_id, booking_id, from_state, to_state, actor, reason, now)
    await _write_record(tenant_id, audit, event)
    return audit


def _record_rows(
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


async def _write_record(
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
            await _record(tenant_id, booking_id, booking["status"], target, actor, reason, now)
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
            items = _items(booking)
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
            await _record(
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


def _items(booking: dict[str, Any]) -> list[dict[str, Any]]:
    import json

    items = booking["items"]
    return json.loads(items) if isinstance(items, str) else items


# --- reviews --------------------------------------------------------------------------------


@within_tenant
async def create_review(
    tenant_id: str,
    booking_id: str,
    customer_id: str,
    rating: int,
    text: str,
    tags: list[str],
    now: datetime | None = None,
) -> str:
    """One review per completed booking, only by its customer; updates the provider's rating."""
    now = now or datetime.now(UTC)
    if not 1 <= rating <= 5:
        raise BookingError([QuoteProblem("rating", "give 1 to 5 stars")])
    if len(text) > 1000:
        raise BookingError([QuoteProblem("text", "at most 1000 characters")])
    async with write_transaction():
        booking = await load(tenant_id, booking_id)
        if str(booking["customer"]) != customer_id:
            raise LookupError(booking_id)
        if booking["status"] not in REVIEWABLE:
            raise BookingError([QuoteProblem("booking", "review after the job is completed")], 409)
        if await Review.exists().where(Review.booking == booking_id):
            raise BookingError(
                [QuoteProblem("booking", "this booking already has your review")], 409
            )
        review = Review(
            tenant=tenant_id,
            booking=booking_id,
            provider=booking["provider"],
            customer=customer_id,
            rating=rating,
            text=text.strip(),
            tags=",".join(t.strip()[:20] for t in tags[:8]),
            created_at=now,
        )
        await review.save()
        await ProviderProfile.update(
            {
                ProviderProfile.rating_sum: ProviderProfile.rating_sum + rating,
                ProviderProfile.rating_count: ProviderProfile.rating_count + 1,
            }
        ).where(ProviderProfile.id == booking["provider"])
        # The rating is a ranking factor the candidate index keeps in memory.
        await bump_matching_version(tenant_id, booking["provider"])
    return str(review.id)
