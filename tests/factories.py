"""Ready-to-book tenants for tests: customers and fully verified providers in one call each.

``World`` is one demo tenant (jiejia: housekeeping in Shanghai; wanjia: every vertical in
Hangzhou) with its row, catalogue and personal-data keys. ``await world.provider()`` inserts an
active provider with everything the skills need: the identity checks passed, every required
certificate approved, the vertical's course passed, the skills, working hours and an area.
Rows are inserted directly (the verification pipeline has its own tests); every insert runs in
the tenant's transaction, so the PostgreSQL run (row-level security) works the same.

Time never comes from the wall clock: ``NOW`` is Tuesday 10 March 2026, 10:00 in Shanghai;
pass it (or a later moment) to every service call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.catalog.model import TenantCatalog
from core.plugins import DoorstepPluginManager
from core.tenancy.model import Tenant

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
"""Tuesday 10 March 2026, 10:00 in Shanghai."""
TOMORROW = date(2026, 3, 11)
SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EVERY_DAY = {day: ["08:00", "20:00"] for day in WEEK}

CITY: dict[str, tuple[tuple[float, float], str]] = {
    "jiejia": ((31.2304, 121.4737), "黄浦区"),  # People's Square, Shanghai
    "wanjia": ((30.2741, 120.1551), "西湖区"),  # West Lake, Hangzhou
}
"""Each tenant's centre and its district: providers are based there, customers live there."""
DEFAULT_SKILL = "housekeeping.home_cleaning"

HOLDING_SQL = "('offered', 'accepted', 'en_route', 'arrived', 'in_progress')"
OVERLAP_AUDIT_SQL = (
    "SELECT a.id AS first, b.id AS second FROM booking_booking a JOIN booking_booking b "
    "ON a.provider = b.provider AND a.id < b.id "
    "AND a.hold_start < b.hold_end AND b.hold_start < a.hold_end "
    f"WHERE a.status IN {HOLDING_SQL} AND b.status IN {HOLDING_SQL}"
)
"""Every pair of bookings holding one provider's overlapping time (must find none)."""


def at(day: date, hhmm: str) -> datetime:
    """A local Shanghai wall-clock time on ``day``, as aware UTC."""
    return datetime.combine(day, time.fromisoformat(hhmm), SHANGHAI).astimezone(UTC)


def east_of(point: tuple[float, float], km: float) -> tuple[float, float]:
    """A point ``km`` due east (good enough for tests: 1° of longitude ~ 111 km x cos lat)."""
    import math

    lat, lng = point
    return lat, lng + km / (111.32 * math.cos(math.radians(lat)))


@dataclass
class World:
    plugins: DoorstepPluginManager
    tenant: Tenant
    tenant_id: str
    catalog: TenantCatalog

    @property
    def centre(self) -> tuple[float, float]:
        return CITY[self.tenant.slug][0]

    @property
    def district(self) -> str:
        return CITY[self.tenant.slug][1]

    async def customer(self, *, locale: str = "zh_CN") -> str:
        """A customer account; returns the user id."""
        from core.accounts.tables import User
        from core.tenancy.scoped import tenant_transaction

        user = User(tenant=self.tenant_id, kind="customer", locale=locale)
        async with tenant_transaction(self.tenant_id):
            await user.save()
        return str(user.id)

    async def provider(
        self,
        skills: Iterable[str] = (DEFAULT_SKILL,),
        *,
        base: tuple[float, float] | None = None,
        radius_km: float | None = 15.0,
        districts: Iterable[str] = (),
        hours: dict[str, list[str]] | None = None,
        days_off: Iterable[str] = (),
        status: str = "active",
        rating: tuple[int, int] = (0, 0),
        quality: float = 0.8,
        certificates_until: date | None = date(2030, 12, 31),
        without: Iterable[str] = (),
        suspended: Iterable[str] = (),
    ) -> str:
        """An active, fully verified provider; returns the profile id.

        ``base`` and ``radius_km`` give a circle (``radius_km=None``: districts only);
        ``rating`` is (sum of stars, number of reviews); ``without`` leaves out checks or
        certificate codes (``face_match``, ``health_certificate``) or ``training``;
        ``suspended`` lists skills suspended for a lapsed certificate.
        """
        from core.accounts.tables import User
        from core.catalog.service import item_requirements
        from core.matching.version import bump_matching_version
        from core.privacy import service as privacy
        from core.providers.tables import ProviderProfile, ProviderSkill
        from core.tenancy.scoped import tenant_transaction
        from core.verification.eligibility import course_for
        from core.verification.service import IDENTITY_CHECKS, POLICE_FILING
        from core.verification.tables import Certificate, IdentityCheck, TrainingResult

        skills = list(skills)
        skip = set(without)
        circle = (base or self.centre) if radius_km is not None else None
        requirements: set[str] = set()
        for ref in skills:
            item = self.catalog.item(ref)
            assert item is not None, ref
            requirements |= {r.code for r in item_requirements(self.plugins, self.tenant, item)}
        checks = [k for k in (*IDENTITY_CHECKS, POLICE_FILING) if k not in skip]
        checks = [k for k in checks if k != POLICE_FILING or POLICE_FILING in requirements]
        certificates = sorted(requirements - skip - {POLICE_FILING})
        courses = (
            []
            if "training" in skip
            else [
                course_for(self.plugins, self.tenant, v) for v in {s.split(".")[0] for s in skills}
            ]
        )
        async with tenant_transaction(self.tenant_id):
            user = User(tenant=self.tenant_id, kind="provider", locale="zh_CN")
            await user.save()
            profile = ProviderProfile(
                tenant=self.tenant_id,
                user=user.id,
                gender="female",
                birth_year=1985,
                years_experience=8,
                languages="zh",
                area_lat=circle[0] if circle else None,
                area_lng=circle[1] if circle else None,
                area_radius_km=radius_km or 0.0,
                area_districts=",".join(districts),
                working_hours=hours if hours is not None else EVERY_DAY,
                days_off=list(days_off),
                status=status,
                quality_score=quality,
                rating_sum=rating[0],
                rating_count=rating[1],
                activated_at=NOW - timedelta(days=30),
            )
            await profile.save()
            pid = profile.id
            await ProviderSkill.insert(
                *[
                    ProviderSkill(
                        tenant=self.tenant_id,
                        provider=pid,
                        item_ref=ref,
                        suspended=ref in set(suspended),
                        suspended_reason="certificate:health_certificate"
                        if ref in set(suspended)
                        else "",
                    )
                    for ref in skills
                ]
            )
            # Written around the services: tell the candidate index, as they would.
            await bump_matching_version(self.tenant_id, pid)
            for kind in checks:
                await IdentityCheck.insert(
                    IdentityCheck(
                        tenant=self.tenant_id,
                        provider=pid,
                        kind=kind,
                        status="passed",
                        verifier="test",
                        checked_at=NOW - timedelta(days=30),
                        valid_until=NOW + timedelta(days=335),
                    )
                )
            for code in certificates:
                await Certificate.insert(
                    Certificate(
                        tenant=self.tenant_id,
                        provider=pid,
                        kind=code,
                        number_enc=privacy.seal(
                            f"TEST-{code}-{str(pid)[:8]}",
                            field="certificate.number",
                            tenant_id=self.tenant_id,
                        ),
                        issuer="测试发证机关",
                        valid_from=date(2025, 1, 1),
                        valid_until=certificates_until,
                        status="approved",
                    )
                )
            for course in courses:
                if course is not None:
                    await TrainingResult.insert(
                        TrainingResult(
                            tenant=self.tenant_id,
                            provider=pid,
                            course=course,
                            score=100,
                            passed_at=NOW - timedelta(days=31),
                        )
                    )
        return str(pid)

    async def provider_user(self, profile_id: str) -> str:
        from core.providers.tables import ProviderProfile

        rows = await self.rows(ProviderProfile, id=profile_id)
        return str(rows[0]["user"])

    # --- requests and bookings --------------------------------------------------------------

    def request(
        self,
        starts_at: datetime,
        *,
        item: str = DEFAULT_SKILL,
        tier: str = "deep",
        intake: dict[str, Any] | None = None,
        items: list[Any] | None = None,
        point: tuple[float, float] | None = None,
        district: str | None = None,
        provider_id: str | None = None,
    ) -> Any:
        """A booking request at the tenant's centre: by default "deep cleaning, 90 m2"
        (60 + 90 x 3 = 330 minutes)."""
        from core.booking.service import BookingRequest, ItemRequest

        return BookingRequest(
            items=items
            or [ItemRequest(item, tier, intake if intake is not None else {"area_m2": 90})],
            starts_at=starts_at,
            address="上海市黄浦区南京东路 1 号 1201 室",
            point=point or self.centre,
            district=self.district if district is None else district,
            provider_id=provider_id,
        )

    async def book(
        self, customer_id: str, request: Any, *, now: datetime = NOW, plugins: Any = None
    ) -> str:
        """``create_booking`` as a request of this tenant would run it."""
        from core.booking.creation import create_booking
        from core.tenancy.scoped import tenant_transaction

        async with tenant_transaction(self.tenant_id):
            return await create_booking(
                plugins or self.plugins,
                self.tenant,
                self.tenant_id,
                self.catalog,
                customer_id,
                request,
                now=now,
            )

    async def job(self, **kwargs: Any) -> Any:
        from core.matching.service import JobRequest

        kwargs.setdefault("item_ref", DEFAULT_SKILL)
        kwargs.setdefault("point", self.centre)
        kwargs.setdefault("district", self.district)
        kwargs.setdefault("duration_minutes", 120)
        return JobRequest(**kwargs)

    async def candidates(
        self, job: Any, *, now: datetime = NOW, plugins: Any = None, **kwargs: Any
    ) -> list[Any]:
        from core.matching.service import find_candidates
        from core.tenancy.scoped import tenant_transaction

        async with tenant_transaction(self.tenant_id):
            return await find_candidates(
                plugins or self.plugins,
                self.tenant,
                self.tenant_id,
                self.catalog,
                job,
                now=now,
                **kwargs,
            )

    # --- reading what is stored -------------------------------------------------------------

    async def rows(self, table: Any, **where: Any) -> list[dict[str, Any]]:
        """Rows of a tenant table, read in the tenant's scope."""
        from core.tenancy.scoped import tenant_transaction

        query = table.select().where(table.tenant == self.tenant_id)
        for name, value in where.items():
            query = query.where(getattr(table, name) == value)
        async with tenant_transaction(self.tenant_id):
            return list(await query)

    async def booking(self, booking_id: str) -> dict[str, Any]:
        from core.booking.tables import Booking

        (row,) = await self.rows(Booking, id=booking_id)
        return row

    async def snapshot(self, booking_id: str) -> tuple[Any, ...]:
        """What a refused request must leave unchanged: the row, its audit and its events."""
        from core.booking.tables import BookingTransition
        from core.notifications.tables import OutboxEvent

        row = await self.booking(booking_id)
        return (
            row,
            len(await self.rows(BookingTransition, booking=booking_id)),
            len(await self.rows(OutboxEvent)),
        )


async def overlapping_holds() -> list[dict[str, Any]]:
    """The database audit, across every tenant (a superuser read on PostgreSQL)."""
    from core.booking.tables import Booking
    from tests.tenant_access import all_tenants

    async with all_tenants():
        return list(await Booking.raw(OVERLAP_AUDIT_SQL))


async def make_world(
    plugins: DoorstepPluginManager, tenants: Any, settings: Any, slug: str
) -> World:
    """The tenant ``slug`` ready to book: its row, catalogue and personal-data keys."""
    from core.catalog.service import build_catalog
    from core.privacy import service as privacy
    from core.tenancy.service import sync_tenant_rows, tenant_row_id

    privacy.configure(settings)
    await sync_tenant_rows(tenants)
    tenant = tenants.get(slug)
    assert tenant is not None, slug
    tenant_id = await tenant_row_id(slug)
    assert tenant_id is not None
    catalog, problems = build_catalog(plugins, tenant)
    assert problems == []
    return World(plugins, tenant, tenant_id, catalog)
