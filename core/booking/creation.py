"""Creating a booking: the request checked and priced, the chosen provider (or the best available)
confirmed, and the rows written in one write transaction (one write path, no double booking)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.booking.schemas import BookingDraft
from core.booking.service import (
    Actor,
    BookingError,
    BookingRequest,
    ItemRequest,
    SlotTaken,
    record_rows,
    write_record,
)
from core.booking.states import CUSTOMER
from core.catalog.model import TenantCatalog
from core.catalog.pricing import Quote, QuoteError, QuoteProblem
from core.catalog.service import VisitItem, quote_visit
from core.db import is_deadlock, is_unique_or_exclusion_violation, write
from core.ids import new_id
from core.matching.ranking import Candidate
from core.matching.service import (
    JobRequest,
    find_candidates,
    serves_area,
    still_clear,
)
from core.matching.version import bump_matching_version
from core.privacy import service as privacy
from core.tenancy.model import Tenant
from core.tenancy.scoped import within_tenant

OUTSIDE_AREA = "no provider serves this address yet"


async def quote_items(
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


def check_request(tenant: Tenant, request: BookingRequest, now: datetime) -> None:
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


def validate_drafts(
    plugins: Any, tenant: Tenant, request: BookingRequest, quotes: list[Quote]
) -> None:
    """The plugins' ``validate_booking`` checks of each item (a BookingError naming each
    problem's field, ``items[n].`` first when there are several)."""
    hooks = plugins.for_tenant(tenant)
    vertical = request.items[0].item.split(".", 1)[0]
    problems = []
    for n, (wanted, quoted) in enumerate(zip(request.items, quotes, strict=True)):
        draft = BookingDraft(
            vertical=vertical,
            item=wanted.item.split(".", 1)[1],
            tier=wanted.tier,
            starts_at=request.starts_at,
            intake=quoted.intake,
        )
        prefix = f"items[{n}]." if len(request.items) > 1 else ""
        problems += [
            QuoteProblem(prefix + p.field, p.reason)
            for found in hooks.validate_booking(draft=draft)
            for p in found or []
        ]
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
    check_request(tenant, request, now)
    quotes = await quote_items(plugins, tenant, catalog, request, now)
    validate_drafts(plugins, tenant, request, quotes)
    vertical = request.items[0].item.split(".", 1)[0]
    duration = sum(q.duration_minutes for q in quotes)
    job = JobRequest(
        item_ref=request.items[0].item,
        more_items=tuple(wanted.item for wanted in request.items[1:]),
        point=request.point,
        starts_at=request.starts_at,
        duration_minutes=duration,
        district=request.district,
        context={"minor_student": has_minor(tenant, quotes)},
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
        "items": [item_record(w, q) for w, q in zip(request.items, quotes, strict=True)],
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
    audit, event = record_rows(
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
        await write_record(tenant_id, audit, event, booking=row)
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


def has_minor(tenant: Tenant, quotes: list[Quote]) -> bool:
    return any(
        isinstance(q.intake.get("student_age"), int) and q.intake["student_age"] < 18
        for q in quotes
    )


def item_record(wanted: ItemRequest, quote: Quote) -> dict[str, Any]:
    import msgspec

    return {
        "item": wanted.item,
        "tier": wanted.tier,
        "intake": quote.intake,
        "addons": quote.addons,
        "quote": msgspec.to_builtins(quote),
    }
