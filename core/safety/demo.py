"""Demo safety data, so the SOS path can be tried from the first start.

Per demo tenant: its first active cleaner (Jiejia: 张秀兰, 13761520318) is on the way to a deep
cleaning at the first demo customer's home (Jiejia: 王小明), starting half an hour after the
seed ran; both have an emergency contact (sealed, as the contacts page stores them). Sign in as
the provider, press SOS on the job: the safety officer (``safety@<tenant>.demo``) sees it on the
admin console and the provider's emergency contact gets a message (the console channel).

The booking is written as ``create_booking`` writes it (quoted by the catalogue, holding the
provider's time) without its availability rules, so the demo has a job under way whatever the
day and hour; then it moves through the state machine (accepted, en route). No position is
made up: the provider's phone reports real ones once its job page is open.

Idempotent: a provider with a job already under way gets no other, a person with an emergency
contact gets no other.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from core.accounts.demo import CUSTOMERS
from core.accounts.profile import addresses, ensure_customer, flatten, locate
from core.booking import service as booking
from core.booking.service import Actor
from core.booking.states import CUSTOMER, HOLDING_STATES, PROVIDER
from core.booking.tables import Booking, BookingTransition
from core.catalog.pricing import QuoteError
from core.catalog.service import VisitItem, build_catalog, quote_visit
from core.db import write_transaction
from core.matching.version import bump_matching_version
from core.plugins import DoorstepPluginManager
from core.privacy import service as privacy
from core.providers.demo import PROVIDERS
from core.providers.onboarding import profile_of_user
from core.safety import contacts, trail
from core.safety.tables import EmergencyContact
from core.settings import Settings
from core.tenancy.model import Tenant
from core.tenancy.registry import TenantRegistry
from core.tenancy.scoped import scoped, tenant_transaction
from core.tenancy.service import tenant_row_id

ITEM = "housekeeping.home_cleaning"
TIER = "deep"
INTAKE = {"area_m2": 90}
STARTS_IN = timedelta(minutes=30)
"""The demo job starts this long after the seed ran; the provider set off 10 minutes before."""
CONTACTS: dict[str, dict[str, tuple[str, str, str]]] = {
    "jiejia": {
        PROVIDER: ("张建国", "13524187706", "丈夫"),
        CUSTOMER: ("王秀英", "13671902258", "母亲"),
    },
    "wanjia": {
        PROVIDER: ("周建平", "13656710384", "丈夫"),
        CUSTOMER: ("刘芳", "15088672139", "姐姐"),
    },
}
"""(name, phone, relation) of the emergency contact of the demo provider and customer."""


async def seed_demo_safety(
    registry: TenantRegistry, plugins: DoorstepPluginManager, settings: Settings
) -> str:
    jobs = people = 0
    for tenant in registry:
        tenant_id = await tenant_row_id(tenant.slug)
        if tenant_id is None or tenant.slug not in CONTACTS:
            continue
        async with tenant_transaction(tenant_id):
            made, added = await _seed_tenant(plugins, tenant, str(tenant_id))
        jobs, people = jobs + made, people + added
    return f"{jobs} jobs under way and {people} emergency contacts added"


async def _seed_tenant(
    plugins: DoorstepPluginManager, tenant: Tenant, tenant_id: str
) -> tuple[int, int]:
    cleaner = next(
        (
            p
            for p in PROVIDERS.get(tenant.slug, ())
            if ITEM in p.skills and not p.pending and not p.health_lapses_soon
        ),
        None,
    )
    if cleaner is None or not CUSTOMERS.get(tenant.slug):
        return 0, 0
    provider_user = await ensure_customer(tenant_id, cleaner.phone)
    profile = await profile_of_user(provider_user, tenant_id)
    if profile is None or profile["status"] != "active":
        return 0, 0
    person = CUSTOMERS[tenant.slug][0]
    customer = await ensure_customer(tenant_id, person.phone, person.name)
    added = 0
    for role, user_id in ((PROVIDER, provider_user), (CUSTOMER, customer)):
        if (
            await scoped(EmergencyContact, tenant_id)
            .exists()
            .where(EmergencyContact.user == user_id)
        ):
            continue
        name, phone, relation = CONTACTS[tenant.slug][role]
        await contacts.add_contact(tenant_id, user_id, name, phone, relation)
        added += 1
    made = await _job_under_way(
        plugins, tenant, tenant_id, str(profile["id"]), provider_user, customer, person
    )
    return made, added


async def _job_under_way(
    plugins: DoorstepPluginManager,
    tenant: Tenant,
    tenant_id: str,
    profile_id: str,
    provider_user: str,
    customer: str,
    person: Any,
) -> int:
    if (
        await scoped(Booking, tenant_id)
        .exists()
        .where((Booking.provider == profile_id) & Booking.status.is_in(list(trail.TRAIL_STATES)))
    ):
        return 0
    saved = await addresses(customer, tenant_id)
    text = saved[0].text if saved else person.addresses[0][1]
    place = await locate(flatten(plugins.for_tenant(tenant).geocoders()), text)
    if place is None:
        return 0
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    starts_at = now - timedelta(minutes=now.minute % 5) + STARTS_IN
    catalog = build_catalog(plugins, tenant)[0]
    (quote,) = await quote_visit(
        plugins, tenant, catalog, [VisitItem(ITEM, TIER, INTAKE)], when=starts_at, now=now
    )
    if isinstance(quote, QuoteError):  # the catalogue changed: no demo job
        return 0
    ends_at = starts_at + timedelta(minutes=quote.duration_minutes)
    buffer = timedelta(minutes=tenant.config.policies.booking.travel_buffer_minutes)
    booked = now - timedelta(days=1)
    booking_id = str(uuid.uuid4())
    async with write_transaction():
        if (
            await scoped(Booking, tenant_id)
            .exists()
            .where(
                (Booking.provider == profile_id)
                & Booking.status.is_in(list(HOLDING_STATES))
                & (Booking.hold_start < ends_at + buffer)
                & (Booking.hold_end > starts_at - buffer)
            )
        ):
            return 0  # the provider's time is taken (another domain's demo job)
        await scoped(Booking, tenant_id).insert(
            Booking(
                id=booking_id,
                tenant=tenant_id,
                customer=customer,
                provider=profile_id,
                status="offered",
                vertical=ITEM.split(".", 1)[0],
                items=[
                    {
                        "item": ITEM,
                        "tier": TIER,
                        "intake": quote.intake,
                        "addons": quote.addons,
                        "quote": msgspec.to_builtins(quote),
                    }
                ],
                total_fen=quote.total_fen,
                currency=tenant.config.currency,
                address_enc=privacy.seal(text, field="booking.address", tenant_id=tenant_id),
                point_enc=privacy.seal(
                    f"{place.lat:.6f},{place.lng:.6f}", field="booking.point", tenant_id=tenant_id
                ),
                district=place.district[:60],
                starts_at=starts_at,
                ends_at=ends_at,
                hold_start=starts_at - buffer,
                hold_end=ends_at + buffer,
                offer_expires_at=starts_at,
                created_at=booked,
                updated_at=booked,
            )
        )
        await scoped(BookingTransition, tenant_id).insert(
            BookingTransition(
                tenant=tenant_id,
                booking=booking_id,
                from_state="requested",
                to_state="offered",
                actor=customer,
                actor_role=CUSTOMER,
                at=booked,
            )
        )
        await bump_matching_version(tenant_id, profile_id, holds=True)
    actor = Actor(PROVIDER, provider_user, profile_id)
    for state, at in (
        ("accepted", booked + timedelta(minutes=20)),
        ("en_route", starts_at - STARTS_IN - timedelta(minutes=10)),
    ):
        await booking.transition(tenant, tenant_id, booking_id, state, actor, now=at)
    return 1
