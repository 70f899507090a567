"""A small, real world for the booking tests: a customer with saved addresses and active
providers around them, each made through the services a page would call (profile, skills,
hours, identity with the demo vendor, certificates, the course, the admin's approval).

Time is real (bookings start "tomorrow"), so every check is made valid from today on.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.accounts import profile as accounts
from core.accounts.passwords import create_staff
from core.accounts.signin import issue_token, start_session
from core.accounts.tables import User
from core.catalog.model import TenantCatalog
from core.catalog.service import item_requirements
from core.privacy import service as privacy
from core.providers import service as providers
from core.tenancy.model import Tenant
from core.tenancy.scoped import tenant_transaction
from core.verification import approval, eligibility, identity, proofs
from core.verification import service as verification
from core.verification.demo import READY_AFTER_S, DemoVerifier
from core.verification.idcard import check_char

DEEP = "housekeeping.home_cleaning"
HOME = "上海市浦东新区锦绣路1001弄 5号楼1202室"
HOME_POINT = (31.2060, 121.5520)
OFFICE = "上海市浦东新区世纪大道100号 38楼"
NOWHERE = "上海市松江区人民北路2000号 1室"
"""Known to the demo geocoder, but 40 km from every provider of the world."""
EVERY_DAY = {day: ["08:00", "21:00"] for day in providers.WEEKDAYS}
STAFF_PASSWORD = "correct horse battery"


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.now = at.timestamp()

    def __call__(self) -> float:
        return self.now


def id_number(seq: int) -> str:
    first17 = f"110105198804{seq % 28 + 1:02d}{seq % 1000:03d}"
    return first17 + check_char(first17)


@dataclass
class World:
    plugins: Any
    tenant: Tenant
    tenant_id: str
    catalog: TenantCatalog
    now: datetime
    customer_id: str = ""
    home_id: str = ""
    office_id: str = ""
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(101))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tenant.config.timezone)

    def tomorrow_at(self, hhmm: str, days: int = 1) -> datetime:
        """``hhmm`` local time, ``days`` after today, as aware UTC."""
        day = self.now.astimezone(self.tz).date() + timedelta(days=days)
        return datetime.combine(day, time.fromisoformat(hhmm), self.tz).astimezone(UTC)

    def local_day(self, days: int = 1) -> date:
        return self.now.astimezone(self.tz).date() + timedelta(days=days)

    async def person(self, phone: str, name: str) -> str:
        async with tenant_transaction(self.tenant_id):
            return await accounts.ensure_customer(self.tenant_id, phone, name)

    async def customer(self, phone: str = "13812341234", name: str = "王小明") -> str:
        """A customer with 家 (the default) and 公司, both located by the demo geocoder."""
        user_id = await self.person(phone, name)
        geocoders = accounts.flatten(self.plugins.for_tenant(self.tenant).geocoders())
        home = await accounts.add_address(user_id, self.tenant_id, "家", HOME, geocoders)
        office = await accounts.add_address(user_id, self.tenant_id, "公司", OFFICE, geocoders)
        if not self.customer_id:
            self.customer_id, self.home_id, self.office_id = user_id, home.id, office.id
        return user_id

    async def address(self, user_id: str, label: str, text: str) -> str:
        geocoders = accounts.flatten(self.plugins.for_tenant(self.tenant).geocoders())
        return (await accounts.add_address(user_id, self.tenant_id, label, text, geocoders)).id

    async def provider(
        self,
        name: str = "李秀英",
        *,
        centre: tuple[float, float] = (31.2100, 121.5400),
        radius_km: float = 10.0,
        skills: tuple[str, ...] = (DEEP,),
        hours: dict[str, list[str]] | None = None,
        gender: str = "female",
    ) -> str:
        """An active provider, every check the skills need passed and valid for a year."""
        n = next(self._seq)
        phone = f"+86139{n:08d}"
        async with tenant_transaction(self.tenant_id):
            user = User(
                tenant=self.tenant_id,
                kind="customer",
                phone_enc=privacy.seal(phone, field="user.phone", tenant_id=self.tenant_id),
                phone_idx=privacy.lookup_key(phone, purpose="phone", tenant_id=self.tenant_id),
                locale="zh_CN",
            )
            await user.save()
        tid = self.tenant_id
        profile_id = await providers.start_onboarding(str(user.id), tid)
        today = self.now.date()
        await providers.save_profile(
            profile_id,
            tid,
            providers.ProfileInput(
                name=name,
                gender=gender,
                birth_year=1985,
                years_experience=8,
                languages=["zh"],
                bio="认真细致，自带工具。",
                area_lat=centre[0],
                area_lng=centre[1],
                area_radius_km=radius_km,
            ),
            today=today,
        )
        await providers.set_skills(
            profile_id, tid, list(skills), {i.ref for i in self.catalog.items}
        )
        await providers.save_availability(profile_id, tid, hours or EVERY_DAY, [])
        clock = FixedClock(self.now)
        vendor = DemoVerifier(clock=clock)
        await identity.submit_identity(
            self.tenant,
            tid,
            profile_id,
            id_number=id_number(n),
            real_name=name,
            address="上海市浦东新区张杨路500号",
            liveness_token="liveness-token-from-the-phone",
            verifier=vendor,
            now=self.now,
        )
        later = self.now + timedelta(seconds=READY_AFTER_S)
        clock.now = later.timestamp()
        await identity.poll_vendor_checks(self.tenant, tid, [vendor], now=later)
        await identity.record_phone_verified(self.tenant, tid, profile_id, now=self.now)
        codes = set()
        for ref in skills:
            item = self.catalog.item(ref)
            assert item is not None, ref
            codes |= {r.code for r in item_requirements(self.plugins, self.tenant, item)}
        for code in sorted(codes):
            if code == verification.POLICE_FILING:
                await proofs.submit_police_filing(
                    tid,
                    profile_id,
                    filing_number="沪公备 310115-2024-0815",
                    bureau="上海市公安局浦东分局",
                    filed_on=today - timedelta(days=100),
                    now=self.now,
                )
                await proofs.review_police_filing(
                    self.tenant, tid, profile_id, approve=True, reason="", now=self.now
                )
                continue
            cert = await proofs.submit_certificate(
                tid,
                profile_id,
                kind=code,
                number="JK-2025-0001",
                issuer="上海市卫生健康委员会",
                valid_from=today - timedelta(days=30),
                valid_until=today + timedelta(days=365),
                today=today,
            )
            await proofs.review_certificate(
                tid, cert, approve=True, reason="", reviewer_id=str(user.id), now=self.now
            )
        for vertical in sorted({ref.split(".")[0] for ref in skills}):
            course = eligibility.course_for(self.plugins, self.tenant, vertical)
            found = next(
                c
                for listed in self.plugins.for_tenant(self.tenant).training_courses()
                for c in listed or []
                if c.key == course
            )
            await proofs.take_quiz(
                tid, profile_id, found, {q.key: q.answer for q in found.quiz}, now=self.now
            )
        await approval.submit_for_review(tid, profile_id)
        await approval.review_provider(tid, profile_id, approve=True, reason="", now=self.now)
        return profile_id

    async def user_of(self, profile_id: str) -> str:
        from core.providers.tables import ProviderProfile

        async with tenant_transaction(self.tenant_id):
            row = (
                await ProviderProfile.select(ProviderProfile.user)
                .where(ProviderProfile.id == profile_id)
                .first()
            )
        assert row is not None
        return str(row["user"])

    async def staff(
        self, email: str = "admin@jiejia.example", roles: tuple[str, ...] = ("admin",)
    ) -> str:
        return await create_staff(self.tenant_id, email, STAFF_PASSWORD, list(roles))

    async def token(self, user_id: str) -> str:
        return await issue_token(user_id, self.tenant_id)

    async def session(self, user_id: str) -> str:
        return await start_session(user_id, self.tenant_id)


async def make_world(
    plugins: Any, tenants: Any, settings: Any, slug: str = "jiejia", now: datetime | None = None
) -> World:
    """An empty, migrated database: the demo tenants' rows and price lists, keys loaded."""
    from core.catalog.price_lists import sync_config_prices
    from core.catalog.service import build_catalog
    from core.tenancy.service import sync_tenant_rows, tenant_row_id

    privacy.configure(settings)
    now = now or datetime.now(UTC)
    await sync_tenant_rows(tenants)
    tenant = tenants.get(slug)
    tenant_id = await tenant_row_id(slug)
    assert tenant is not None and tenant_id is not None
    catalog = build_catalog(plugins, tenant)[0]
    await sync_config_prices(tenant, catalog, now)
    return World(plugins=plugins, tenant=tenant, tenant_id=tenant_id, catalog=catalog, now=now)
