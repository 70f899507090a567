"""Demo quality data, so the quality pages have something true to show.

Per demo tenant: eight deep cleanings of the demo customers done on the last weekdays, each
through the booking flow (booked, accepted, travelled to, checked in, completed) and reviewed;
the most recent one checked in 40 minutes late and poorly done, and its customer's complaint
(with a photo) is open for support to answer. Then the worker's daily and weekly quality jobs
run once: scores and badges, the public snapshot (six jobs stand behind the first provider's
figures, two behind the second's: only the first is published, the minimum sample is five)
and last week's spot-check tasks for the inspectors.

Idempotent: a tenant that already has a complaint is left as it is.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw

from core.accounts.demo import CUSTOMERS
from core.accounts.profile import addresses, ensure_customer, flatten, locate
from core.booking import creation, reviews
from core.booking import service as booking
from core.booking.service import Actor, BookingRequest, ItemRequest
from core.booking.states import CUSTOMER, PROVIDER
from core.catalog.service import build_catalog
from core.matching.service import JobRequest, find_candidates
from core.plugins import DoorstepPluginManager
from core.providers.demo import PROVIDERS
from core.providers.media import Upload
from core.providers.onboarding import profile_of_user
from core.quality import public, score, service, spotchecks
from core.quality.tables import Complaint
from core.settings import Settings
from core.tenancy.model import Tenant
from core.tenancy.registry import TenantRegistry
from core.tenancy.scoped import scoped, tenant_transaction
from core.tenancy.service import tenant_row_id

ITEM = "housekeeping.home_cleaning"
TIER = "deep"
INTAKE = {"area_m2": 90}
DURATION = timedelta(minutes=330)
"""A deep cleaning of 90 m2."""


@dataclass(frozen=True)
class DemoJob:
    weekdays_ago: int
    """0: the last weekday before today."""
    provider: int
    """Index among the tenant's first two active cleaners (the first, if it has one only)."""
    rating: int
    review: str
    late_minutes: int = 0


JOBS = (
    DemoJob(11, 0, 5, "阿姨很细心，厨房油污清得很干净"),
    DemoJob(10, 1, 5, "准时到，收纳也帮忙整理了"),
    DemoJob(9, 0, 5, "卫生间水垢全部清掉了，很满意"),
    DemoJob(7, 0, 4, "整体不错，阳台稍微马虎了一点"),
    DemoJob(5, 1, 5, "干活麻利，态度很好"),
    DemoJob(4, 0, 5, "第二次约了，一如既往地好"),
    DemoJob(2, 0, 5, "玻璃擦得很亮"),
    DemoJob(0, 0, 2, "迟到四十分钟，厨房台面没擦干净", late_minutes=40),
)
COMPLAINT = "阿姨晚到了四十分钟，走得又急，厨房台面和灶台都没有擦干净，照片里还有油渍。"


async def seed_demo_quality(
    registry: TenantRegistry, plugins: DoorstepPluginManager, settings: Settings
) -> str:
    made = 0
    for tenant in registry:
        tenant_id = await tenant_row_id(tenant.slug)
        if tenant_id is None or tenant.slug not in CUSTOMERS or tenant.slug not in PROVIDERS:
            continue
        async with tenant_transaction(tenant_id):
            made += await _seed_tenant(plugins, settings, tenant, str(tenant_id))
    return f"{made} served bookings with reviews and complaints added"


async def _cleaners(tenant: Tenant, tenant_id: str) -> list[str]:
    """The profile ids of the tenant's first two active demo cleaners."""
    found = []
    for person in PROVIDERS[tenant.slug]:
        if ITEM not in person.skills or person.pending or person.health_lapses_soon:
            continue
        profile = await profile_of_user(await ensure_customer(tenant_id, person.phone), tenant_id)
        if profile is not None and profile["status"] == "active":
            found.append(str(profile["id"]))
    return found[:2]


async def _seed_tenant(
    plugins: DoorstepPluginManager, settings: Settings, tenant: Tenant, tenant_id: str
) -> int:
    if await scoped(Complaint, tenant_id).exists():
        return 0
    cleaners = await _cleaners(tenant, tenant_id)
    if not cleaners:
        return 0
    catalog = build_catalog(plugins, tenant)[0]
    geocoders = flatten(plugins.for_tenant(tenant).geocoders())
    now = datetime.now(UTC)
    tz = ZoneInfo(tenant.config.timezone)
    today = now.astimezone(tz).date()
    weekdays = [
        day
        for day in (today - timedelta(days=back) for back in range(1, 22))
        if day.weekday() < 5  # the demo cleaners work on weekdays
    ]
    customers = []
    for person in CUSTOMERS[tenant.slug]:
        user_id = await ensure_customer(tenant_id, person.phone, person.name)
        saved = await addresses(user_id, tenant_id)
        text = saved[0].text if saved else person.addresses[0][1]
        place = await locate(geocoders, text)
        if place is not None:
            customers.append((user_id, text, place))
    if not customers:
        return 0
    last = complainant = ""
    for n, job in enumerate(JOBS):
        starts_at = datetime.combine(weekdays[job.weekdays_ago], time(10), tz).astimezone(UTC)
        cleaner = cleaners[job.provider % len(cleaners)]
        found = await _customer_served_by(
            plugins, tenant, tenant_id, catalog, cleaner, starts_at, customers[n:] + customers[:n]
        )
        if found is None:
            continue
        user_id, text, place = found
        complainant = user_id
        last = await _serve(
            plugins,
            tenant,
            tenant_id,
            catalog,
            user_id,
            cleaner,
            BookingRequest(
                items=[ItemRequest(ITEM, TIER, dict(INTAKE))],
                starts_at=starts_at,
                address=text,
                point=(place.lat, place.lng),
                district=place.district,
                provider_id=cleaner,
            ),
            job,
        )
    if not last:
        return 0
    await service.create_complaint(
        tenant,
        tenant_id,
        service.evidence_store(settings.var_dir),
        last,
        Actor(CUSTOMER, complainant),
        category="lateness",
        description=COMPLAINT,
        photos=[Upload(stained_counter_photo(), "image/jpeg", "counter.jpg")],
        now=now,
    )
    await score.rank_providers(tenant, tenant_id, now)
    await public.compute_snapshot(tenant, tenant_id, now)
    await spotchecks.sample_week(tenant, tenant_id, now)
    return len(JOBS)


async def _customer_served_by(
    plugins: DoorstepPluginManager,
    tenant: Tenant,
    tenant_id: str,
    catalog: Any,
    cleaner: str,
    starts_at: datetime,
    customers: list[tuple[str, str, Any]],
) -> tuple[str, str, Any] | None:
    """The first of ``customers`` whose home the cleaner serves (their area) then."""
    for customer in customers:
        place = customer[2]
        job = JobRequest(
            item_ref=ITEM,
            point=(place.lat, place.lng),
            starts_at=starts_at,
            duration_minutes=int(DURATION.total_seconds() // 60),
            district=place.district,
        )
        if await find_candidates(
            plugins, tenant, tenant_id, catalog, job, now=starts_at, only=cleaner, ranking=False
        ):
            return customer
    return None


async def _serve(
    plugins: DoorstepPluginManager,
    tenant: Tenant,
    tenant_id: str,
    catalog: Any,
    customer: str,
    provider: str,
    request: BookingRequest,
    job: DemoJob,
) -> str:
    """One booking through the booking flow, at the times it happened, then its review."""
    start = request.starts_at
    booked = start - timedelta(days=2)
    booking_id = await creation.create_booking(
        plugins, tenant, tenant_id, catalog, customer, request, now=booked
    )
    user = (await profile_of_user_id(tenant_id, provider)) or ""
    actor = Actor(PROVIDER, user, provider)
    arrived = start + timedelta(minutes=job.late_minutes)
    steps = (
        ("accepted", booked + timedelta(minutes=20), None),
        ("en_route", start - timedelta(minutes=40), None),
        ("arrived", arrived, request.point),
        ("in_progress", arrived + timedelta(minutes=5), None),
        ("completed", arrived + DURATION, None),
    )
    for state, at, position in steps:
        await booking.transition(
            tenant, tenant_id, booking_id, state, actor, position=position, now=at
        )
    await reviews.create_review(
        tenant_id,
        booking_id,
        customer,
        job.rating,
        job.review,
        [],
        now=arrived + DURATION + timedelta(hours=2),
    )
    return booking_id


async def profile_of_user_id(tenant_id: str, profile_id: str) -> str | None:
    """The account of a provider profile."""
    from core.providers.tables import ProviderProfile

    row = (
        await scoped(ProviderProfile, tenant_id)
        .select(ProviderProfile.user)
        .where(ProviderProfile.id == profile_id)
        .first()
    )
    return str(row["user"]) if row else None


def stained_counter_photo() -> bytes:
    """A photo of a kitchen counter with a grease stain, as a phone would send it."""
    picture = Image.new("RGB", (640, 480), (214, 211, 204))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 300, 640, 480), fill=(120, 100, 80))
    draw.ellipse((220, 160, 420, 260), fill=(150, 120, 60))
    draw.ellipse((300, 190, 360, 230), fill=(110, 85, 40))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()
