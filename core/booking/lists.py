"""Bookings in lists (the customer's, a provider's job feed, the staff board) and providers as
customers see them (the cards to choose from). One booking in full is ``views``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.booking.service import Actor, items_of
from core.booking.states import (
    ACTIVE_STATES,
    CUSTOMER,
    PROVIDER,
    STAFF,
)
from core.booking.tables import Booking
from core.booking.views import AFTER_ACCEPTANCE, names_provider
from core.privacy import service as privacy
from core.providers.service import public_name
from core.providers.storage import signed_url
from core.providers.tables import ProviderMedia, ProviderProfile
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped

# --- lists ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingSummary:
    id: str
    status: str
    vertical: str
    item: str
    tier: str
    total_fen: int
    currency: str
    starts_at: datetime
    ends_at: datetime
    district: str
    provider_id: str | None
    urgent: bool
    offer_expires_at: datetime | None


def _summary(row: dict[str, Any], role: str = STAFF) -> BookingSummary:
    items = items_of(row)
    named = names_provider(row, role, row["status"] in AFTER_ACCEPTANCE)
    return BookingSummary(
        id=str(row["id"]),
        status=row["status"],
        vertical=row["vertical"],
        item=items[0]["item"] if items else "",
        tier=items[0]["tier"] if items else "",
        total_fen=int(row["total_fen"]),
        currency=row["currency"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        district=row["district"],
        provider_id=str(row["provider"]) if row["provider"] and named else None,
        urgent=bool(row["urgent"]),
        offer_expires_at=row["offer_expires_at"],
    )


def local_day_bounds(tenant: Tenant, day: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(tenant.config.timezone)
    start = datetime.combine(day, time(0), tz).astimezone(UTC)
    return start, start + timedelta(days=1)


SUMMARY_COLUMNS = (
    Booking.id,
    Booking.status,
    Booking.vertical,
    Booking.items,
    Booking.total_fen,
    Booking.currency,
    Booking.starts_at,
    Booking.ends_at,
    Booking.district,
    Booking.provider,
    Booking.urgent,
    Booking.offer_expires_at,
)


async def list_bookings(
    tenant: Tenant,
    tenant_id: str,
    actor: Actor,
    *,
    status: str | None = None,
    day: date | None = None,
    provider_id: str | None = None,
    vertical: str | None = None,
    limit: int = 100,
) -> list[BookingSummary]:
    """A customer's own bookings, a provider's assigned jobs, or (staff) every booking of the
    tenant, filtered; the latest start first. Summaries carry the district, never the address."""
    query = scoped(Booking, tenant_id).select(*SUMMARY_COLUMNS)
    where: list[Any] = []
    if actor.role == CUSTOMER:
        where.append(Booking.customer == actor.user_id)
    elif actor.role == PROVIDER:
        where.append(Booking.provider == actor.provider_id)
    elif actor.role != STAFF:
        return []
    if status:
        where.append(Booking.status == status)
    if day is not None:
        start, end = local_day_bounds(tenant, day)
        where += [Booking.starts_at >= start, Booking.starts_at < end]
    if provider_id:
        where.append(Booking.provider == provider_id)
        if actor.role == CUSTOMER:
            # Filtering must not tell a customer who is being asked for an urgent request.
            where.append(
                (Booking.urgent == False)  # noqa: E712 - a column comparison
                | Booking.status.is_in(sorted(AFTER_ACCEPTANCE))
            )
    if vertical:
        where.append(Booking.vertical == vertical)
    for condition in where:
        query = query.where(condition)
    rows = await query.order_by(Booking.starts_at, ascending=False).limit(limit)
    return [_summary(r, actor.role) for r in rows]


@dataclass(frozen=True)
class JobFeed:
    offers: list[BookingSummary]
    today: list[BookingSummary]
    upcoming: list[BookingSummary]
    done: list[BookingSummary]


async def job_feed(tenant: Tenant, tenant_id: str, provider_id: str, now: datetime) -> JobFeed:
    """A provider's feed: open offers (soonest expiry first), today's jobs, later jobs, and
    the latest finished ones."""
    rows = (
        await Booking.select(*SUMMARY_COLUMNS)
        .where(
            (Booking.tenant == tenant_id)
            & (Booking.provider == provider_id)
            & (Booking.ends_at >= now - timedelta(days=7))
        )
        .order_by(Booking.starts_at)
        .limit(300)
    )
    jobs = [_summary(r) for r in rows]
    _, end_of_today = local_day_bounds(
        tenant, now.astimezone(ZoneInfo(tenant.config.timezone)).date()
    )
    offers = [
        j
        for j in jobs
        if j.status == "offered" and (j.offer_expires_at is None or j.offer_expires_at > now)
    ]
    active = [j for j in jobs if j.status in ACTIVE_STATES]
    return JobFeed(
        offers=sorted(offers, key=lambda j: j.offer_expires_at or j.starts_at),
        today=[j for j in active if j.starts_at < end_of_today],
        upcoming=[j for j in active if j.starts_at >= end_of_today],
        done=[j for j in reversed(jobs) if j.status in {"completed", "closed"}][:10],
    )


# --- providers as customers see them ------------------------------------------------------


@dataclass(frozen=True)
class ProviderCard:
    id: str
    display_name: str
    avatar_url: str | None
    rating: float | None
    """Stars out of 5, one decimal; None before the first review."""
    rating_count: int
    jobs_done: int
    years_experience: int


async def provider_cards(
    tenant: Tenant, tenant_id: str, ids: list[str], now: datetime
) -> dict[str, ProviderCard]:
    """Public facts about providers (the tenant's display-name policy, a signed avatar link)."""
    if not ids:
        return {}
    rows = await ProviderProfile.select(
        ProviderProfile.id,
        ProviderProfile.name_enc,
        ProviderProfile.gender,
        ProviderProfile.rating_sum,
        ProviderProfile.rating_count,
        ProviderProfile.jobs_done,
        ProviderProfile.years_experience,
    ).where((ProviderProfile.tenant == tenant_id) & ProviderProfile.id.is_in(ids))
    avatars = {
        str(m["provider"]): m["storage_key"]
        for m in await ProviderMedia.select(ProviderMedia.provider, ProviderMedia.storage_key)
        .where(
            (ProviderMedia.tenant == tenant_id)
            & ProviderMedia.provider.is_in(ids)
            & (ProviderMedia.kind == "avatar")
        )
        .order_by(ProviderMedia.created_at)
    }
    style = tenant.config.policies.providers.display_name
    cards = {}
    for row in rows:
        pid = str(row["id"])
        name = (
            privacy.unseal(row["name_enc"], field="provider.name", tenant_id=tenant_id)
            if row["name_enc"]
            else ""
        )
        count = int(row["rating_count"])
        cards[pid] = ProviderCard(
            id=pid,
            display_name=public_name(name, style, row["gender"]),
            avatar_url=signed_url(tenant_id, avatars[pid], now) if pid in avatars else None,
            rating=round(row["rating_sum"] / count, 1) if count else None,
            rating_count=count,
            jobs_done=int(row["jobs_done"]),
            years_experience=int(row["years_experience"]),
        )
    return cards


async def active_providers(tenant: Tenant, tenant_id: str, now: datetime) -> list[ProviderCard]:
    """Every active provider of the tenant, by display name (the admin board's filter)."""
    rows = await ProviderProfile.select(ProviderProfile.id).where(
        (ProviderProfile.tenant == tenant_id) & (ProviderProfile.status == "active")
    )
    cards = await provider_cards(tenant, tenant_id, [str(r["id"]) for r in rows], now)
    return sorted(cards.values(), key=lambda c: (c.display_name, c.id))
