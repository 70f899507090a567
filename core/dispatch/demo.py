"""Demo dispatch data: tomorrow's jobs for the demo tenants, so the dispatcher has a day to plan.

Per demo tenant: tomorrow's bookings (tenant time) of the demo customers at the city's demo
addresses, spread over the demo providers who work that day, each through the booking flow
(booked with the provider the customer chose, most accepted, two still waiting for the
provider's answer); tomorrow planned once through the dispatch service, so the board opens
with every route drawn; then one urgent job booked and accepted *since* that plan, for the
board's "insert into the running plan" button. Re-planning is one click on the board.

A job whose provider does not work tomorrow (a weekend) is left out: the day has fewer jobs.
Idempotent: a job is looked up by its customer and start; a day with a plan is not re-planned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.accounts.demo import CUSTOMERS
from core.accounts.profile import ensure_customer, flatten, locate
from core.booking import creation
from core.booking import service as booking
from core.booking.service import Actor, BookingError, BookingRequest, ItemRequest
from core.booking.states import PROVIDER
from core.booking.tables import Booking
from core.catalog.service import build_catalog
from core.dispatch import service
from core.dispatch.demo_geocoder import KNOWN
from core.plugins import DoorstepPluginManager
from core.providers.demo import CITY
from core.providers.onboarding import profile_of_user
from core.settings import Settings
from core.tenancy.model import Tenant
from core.tenancy.registry import TenantRegistry
from core.tenancy.scoped import scoped, tenant_transaction
from core.tenancy.service import tenant_row_id


@dataclass(frozen=True)
class DemoStop:
    provider: str
    """The demo provider's phone (``core.providers.demo.PROVIDERS``): the one the customer chose."""
    item: str
    tier: str
    intake: dict[str, Any]
    at: str
    """Local start tomorrow, ``HH:MM``."""
    street: str
    """A street of the city in ``KNOWN`` (the demo geocoder places it)."""
    window_minutes: int = 0
    """The customer's arrival window after ``at`` (0: the start, within the tolerance)."""
    accepted: bool = True
    """False: still offered to the chosen provider, not answered yet."""
    since_plan: bool = False
    """Urgent, booked and accepted after tomorrow was planned (for the insert button)."""
    extra: dict[str, Any] = field(default_factory=dict)


HK = "housekeeping"
ZHANG, LI, WANG = "13761520318", "13917736025", "13601862947"
ZHOU, SUN, ZHENG = "13758234416", "13858120675", "13968047251"
STOPS: dict[str, tuple[DemoStop, ...]] = {
    "jiejia": (
        DemoStop(ZHANG, f"{HK}.home_cleaning", "daily", {"area_m2": 80, "hours": 2}, "08:00",
                 "世纪大道100号"),
        DemoStop(ZHANG, f"{HK}.home_cleaning", "daily", {"area_m2": 90, "hours": 2}, "11:00",
                 "张杨路500号", window_minutes=60),
        DemoStop(ZHANG, f"{HK}.kitchen_cleaning", "standard", {}, "14:00", "锦绣路1001弄",
                 window_minutes=60, accepted=False),
        DemoStop(LI, f"{HK}.hourly_help", "standard", {"hours": 2}, "08:30", "宛平南路381号"),
        DemoStop(LI, f"{HK}.hourly_help", "standard", {"hours": 2}, "11:30", "愚园路1088弄",
                 since_plan=True),
        DemoStop(LI, f"{HK}.organising", "standard", {"hours": 3}, "14:30", "天山路789号",
                 window_minutes=60),
        DemoStop(WANG, f"{HK}.appliance_cleaning", "air_conditioner", {"units": 2}, "08:30",
                 "长寿路155号"),
        DemoStop(WANG, f"{HK}.appliance_cleaning", "range_hood", {"units": 1}, "11:30",
                 "淮海中路300号", window_minutes=30),
        DemoStop(WANG, f"{HK}.appliance_cleaning", "washing_machine", {"units": 1}, "14:00",
                 "四川北路1666号", accepted=False),
        DemoStop(WANG, f"{HK}.appliance_cleaning", "washing_machine", {"units": 1}, "16:15",
                 "南京西路1266号"),
    ),
    "wanjia": (
        DemoStop(ZHOU, f"{HK}.home_cleaning", "daily", {"area_m2": 70, "hours": 3}, "08:30",
                 "文三路478号"),
        DemoStop(ZHOU, f"{HK}.kitchen_cleaning", "standard", {}, "13:00", "古墩路702号",
                 window_minutes=60),
        DemoStop(SUN, "repair.leak_repair", "pipe_joint", {}, "09:00", "湖墅南路258号"),
        DemoStop(SUN, "repair.circuit_fault", "standard", {}, "11:00", "天目山路398号",
                 window_minutes=60),
        DemoStop(SUN, "repair.socket_switch", "standard", {"units": 2}, "14:00", "解放路138号",
                 accepted=False),
        DemoStop(SUN, "repair.faucet_replace", "standard", {"units": 1}, "16:00", "清泰街500号",
                 since_plan=True),
        DemoStop(ZHENG, "locksmith.lock_change", "grade_b", {}, "10:00", "清泰街500号"),
        DemoStop(ZHENG, "locksmith.lock_change", "grade_c", {}, "13:30", "江南大道3888号",
                 window_minutes=60),
        DemoStop(ZHENG, "locksmith.lock_change", "grade_b", {}, "16:00", "莫干山路100号",
                 accepted=False),
    ),
}  # fmt: skip


async def seed_demo_dispatch(
    registry: TenantRegistry,
    plugins: DoorstepPluginManager,
    settings: Settings,
    now: datetime | None = None,
) -> str:
    """Tomorrow (after ``now``, tenant time) booked, planned, and one urgent job since."""
    now = now or datetime.now(UTC)
    made = planned = 0
    for tenant in registry:
        tenant_id = await tenant_row_id(tenant.slug)
        if tenant_id is None or tenant.slug not in STOPS or tenant.slug not in CUSTOMERS:
            continue
        async with tenant_transaction(tenant_id):
            count, plan = await _seed_tenant(plugins, tenant, str(tenant_id), now)
        made += count
        planned += plan
    return f"{made} bookings for tomorrow added, {planned} day plans made"


def tomorrow_of(tenant: Tenant, now: datetime) -> date:
    return now.astimezone(ZoneInfo(tenant.config.timezone)).date() + timedelta(days=1)


async def _seed_tenant(
    plugins: DoorstepPluginManager, tenant: Tenant, tenant_id: str, now: datetime
) -> tuple[int, int]:
    catalog = build_catalog(plugins, tenant)[0]
    geocoders = flatten(plugins.for_tenant(tenant).geocoders())
    day = tomorrow_of(tenant, now)
    zone = ZoneInfo(tenant.config.timezone)
    city = CITY[tenant.slug].removesuffix("市")
    streets = {street: district for district, street, _, _ in KNOWN[city]}
    customers = [
        await ensure_customer(tenant_id, person.phone, person.name)
        for person in CUSTOMERS[tenant.slug]
    ]
    made = 0
    later: list[tuple[int, DemoStop]] = []
    for n, stop in enumerate(STOPS[tenant.slug]):
        if stop.since_plan:
            later.append((n, stop))
            continue
        made += await _book(plugins, tenant, tenant_id, catalog, geocoders, customers, n, stop,
                            datetime.combine(day, time.fromisoformat(stop.at), zone),
                            f"{CITY[tenant.slug]}{streets[stop.street]}{stop.street}",
                            now - timedelta(minutes=30))  # fmt: skip
    planned = 0
    if made and await service.stored_plan(tenant_id, day) is None:
        tools = service.adapters(plugins, tenant)
        await service.plan_day(tenant, tenant_id, day, tools, now=now - timedelta(minutes=15))
        planned = 1
    for n, stop in later:
        made += await _book(plugins, tenant, tenant_id, catalog, geocoders, customers, n, stop,
                            datetime.combine(day, time.fromisoformat(stop.at), zone),
                            f"{CITY[tenant.slug]}{streets[stop.street]}{stop.street}",
                            now - timedelta(minutes=5))  # fmt: skip
    return made, planned


async def _book(
    plugins: DoorstepPluginManager,
    tenant: Tenant,
    tenant_id: str,
    catalog: Any,
    geocoders: list[Any],
    customers: list[str],
    n: int,
    stop: DemoStop,
    starts_at: datetime,
    address: str,
    booked: datetime,
) -> int:
    """One job through the booking flow (booked, then accepted if it is), unless it exists.
    Returns 1 when made, 0 when it was there already or its provider cannot come then."""
    customer = customers[n % len(customers)]
    starts_at = starts_at.astimezone(UTC)
    if await (
        scoped(Booking, tenant_id)
        .exists()
        .where((Booking.customer == customer) & (Booking.starts_at == starts_at))
    ):
        return 0
    user = await ensure_customer(tenant_id, stop.provider)
    profile = await profile_of_user(user, tenant_id)
    place = await locate(geocoders, address)
    if profile is None or profile["status"] != "active" or place is None:
        return 0
    provider = str(profile["id"])
    request = BookingRequest(
        items=[ItemRequest(stop.item, stop.tier, dict(stop.intake))],
        starts_at=starts_at,
        address=address,
        point=(place.lat, place.lng),
        district=place.district,
        window_end=starts_at + timedelta(minutes=stop.window_minutes)
        if stop.window_minutes
        else None,
        provider_id=provider,
        urgent=stop.since_plan,
    )
    try:
        booking_id = await creation.create_booking(
            plugins, tenant, tenant_id, catalog, customer, request, now=booked
        )
    except BookingError:
        return 0  # e.g. the provider does not work tomorrow (a weekend)
    if stop.accepted:
        await booking.transition(
            tenant,
            tenant_id,
            booking_id,
            "accepted",
            Actor(PROVIDER, user, provider),
            now=booked + timedelta(seconds=30),
        )
    return 1
