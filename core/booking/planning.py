"""Before a booking: where (a saved address, a geocoded text or a point), which providers could
come, and which start times are open. The same checks as ``create_booking``, so a page or an
app never offers what booking would refuse."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from core.accounts.profile import district_of, locate
from core.accounts.tables import Address
from core.booking.creation import OUTSIDE_AREA, check_request, has_minor, quote_items
from core.booking.service import BookingError, BookingRequest, ItemRequest
from core.catalog.model import TenantCatalog
from core.catalog.pricing import Quote, QuoteProblem
from core.dispatch.schemas import Geocoder
from core.matching.ranking import Candidate
from core.matching.service import JobRequest, find_candidates, serves_area
from core.matching.slots import available_slots
from core.privacy import service as privacy
from core.tenancy.model import Tenant

BOOKABLE_DAYS = 14
"""How many days ahead the booking page offers (the API accepts up to 120)."""


@dataclass(frozen=True)
class Place:
    """Where the job is: the full address (personal data), its point and its district."""

    address: str
    point: tuple[float, float]
    district: str


def _uuid(value: str) -> Any:
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


async def saved_place(user_id: str, tenant_id: str, address_id: str) -> Place:
    """One of the user's saved addresses (read for the booking, as the system). BookingError
    naming ``address_id`` for an unknown one or one no geocoder could place."""
    wanted = _uuid(address_id)
    row = None
    if wanted is not None:
        row = (
            await Address.select()
            .where(
                (Address.id == wanted) & (Address.user == user_id) & (Address.tenant == tenant_id)
            )
            .first()
        )
    if row is None:
        raise BookingError([QuoteProblem("address_id", "choose one of your saved addresses")])
    if row["point_enc"] is None:
        raise BookingError(
            [QuoteProblem("address_id", "we could not place this address on the map; edit it")]
        )
    lat, lng = privacy.unseal(row["point_enc"], field="address.point", tenant_id=tenant_id).split(
        ","
    )
    text = privacy.unseal(row["text_enc"], field="address.text", tenant_id=tenant_id)
    return Place(text, (float(lat), float(lng)), row["district"])


async def geocoded_place(geocoders: Sequence[Geocoder], text: str) -> Place:
    """An address typed in full, placed by the tenant's geocoders."""
    text = " ".join(text.split())
    if len(text) < 5:
        raise BookingError([QuoteProblem("address", "give the service address")])
    found = await locate(geocoders, text)
    if found is None:
        raise BookingError([QuoteProblem("address", "we could not find this address")])
    return Place(text, (found.lat, found.lng), found.district or district_of(text))


async def resolve_place(
    user_id: str,
    tenant_id: str,
    geocoders: Callable[[], Sequence[Geocoder]],
    *,
    address_id: str | None = None,
    address: str | None = None,
    point: tuple[float, float] | None = None,
    district: str = "",
) -> Place:
    """A saved address, else a point given with its address, else an address to geocode
    (``geocoders``: the tenant's, asked for only then)."""
    if address_id:
        return await saved_place(user_id, tenant_id, address_id)
    if point is not None:
        if not (address or "").strip():
            raise BookingError([QuoteProblem("address", "give the service address")])
        text = " ".join((address or "").split())
        return Place(text, point, district.strip() or district_of(text))
    if address:
        return await geocoded_place(geocoders(), address)
    raise BookingError([QuoteProblem("address_id", "choose an address")])


async def quotes_for(
    plugins: Any,
    tenant: Tenant,
    catalog: TenantCatalog,
    items: list[ItemRequest],
    when: datetime | None,
    now: datetime,
) -> list[Quote]:
    """Each item priced (at ``when``, or now); BookingError naming the fields otherwise."""
    start = when or now
    request = BookingRequest(items=items, starts_at=start, address="-", point=(0.0, 0.0))
    return await quote_items(plugins, tenant, catalog, request, now)


def _job(
    tenant: Tenant, items: list[ItemRequest], quotes: list[Quote], place: Place, start: datetime
) -> JobRequest:
    return JobRequest(
        item_ref=items[0].item,
        point=place.point,
        starts_at=start,
        duration_minutes=sum(q.duration_minutes for q in quotes),
        district=place.district,
        context={"minor_student": has_minor(tenant, quotes)},
    )


async def _served(tenant_id: str, item_ref: str, place: Place) -> None:
    if not await serves_area(tenant_id, item_ref, place.point, place.district):
        raise BookingError([QuoteProblem("address", OUTSIDE_AREA)])


async def find_providers(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    items: list[ItemRequest],
    place: Place,
    start: datetime,
    now: datetime | None = None,
) -> tuple[list[Quote], list[Candidate]]:
    """The quotes and every provider who could come at ``start``, best first (each with the
    explanation of its score; who may see it is the caller's business)."""
    now = now or datetime.now(UTC)
    request = BookingRequest(items=items, starts_at=start, address=place.address, point=place.point)
    check_request(tenant, request, now)
    quotes = await quote_items(plugins, tenant, catalog, request, now)
    await _served(tenant_id, items[0].item, place)
    job = _job(tenant, items, quotes, place, start)
    return quotes, await find_candidates(plugins, tenant, tenant_id, catalog, job, now=now)


def bookable_days(tenant: Tenant, now: datetime, days: int = BOOKABLE_DAYS) -> list[date]:
    """Today and the following days, in the tenant's time zone."""
    today = now.astimezone(ZoneInfo(tenant.config.timezone)).date()
    return [today + timedelta(days=n) for n in range(days)]


async def open_slots(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    items: list[ItemRequest],
    place: Place,
    day: date,
    provider_id: str | None = None,
    now: datetime | None = None,
) -> tuple[list[Quote], list[tuple[datetime, int]]]:
    """The quotes and the start times on ``day`` that some eligible provider (or the chosen
    one) can reach, with how many providers could come."""
    now = now or datetime.now(UTC)
    today = now.astimezone(ZoneInfo(tenant.config.timezone)).date()
    if day < today:
        raise BookingError([QuoteProblem("day", "is in the past")])
    if day > today + timedelta(days=120):
        raise BookingError([QuoteProblem("day", "book at most 120 days ahead")])
    quotes = await quotes_for(plugins, tenant, catalog, items, None, now)
    await _served(tenant_id, items[0].item, place)
    slots = await available_slots(
        plugins,
        tenant,
        tenant_id,
        catalog,
        item_ref=items[0].item,
        point=place.point,
        day=day,
        duration_minutes=sum(q.duration_minutes for q in quotes),
        district=place.district,
        provider_id=provider_id,
        now=now,
    )
    return quotes, slots


async def ranking_for_booking(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    booking: dict[str, Any],
    now: datetime | None = None,
) -> list[Candidate]:
    """The ranking a booking's job gets now (its own hold left out), each candidate with its
    explanation: for the admin's board and for a provider's own offer."""
    from core.booking.service import items_of

    now = now or datetime.now(UTC)
    lat, lng = privacy.unseal(
        booking["point_enc"], field="booking.point", tenant_id=tenant_id
    ).split(",")
    items = items_of(booking)
    quotes = [msgspec.convert(i["quote"], Quote) for i in items]
    job = JobRequest(
        item_ref=items[0]["item"],
        point=(float(lat), float(lng)),
        starts_at=booking["starts_at"],
        duration_minutes=int((booking["ends_at"] - booking["starts_at"]).total_seconds() // 60),
        district=booking["district"],
        context={"minor_student": has_minor(tenant, quotes)},
    )
    return await find_candidates(
        plugins, tenant, tenant_id, catalog, job, now=now, ignore_booking=str(booking["id"])
    )
