"""Providers on the demo tenants, taken through the real verification steps.

Time never comes from the wall clock: ``NOW`` is Tuesday 10 March 2026, 10:00 in Shanghai, the
demo vendor reads a ``FakeClock``, and every service call gets an explicit ``now``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from core.catalog.model import TenantCatalog
from core.catalog.service import build_catalog, item_requirements
from core.plugins import DoorstepPluginManager
from core.tenancy.model import Tenant
from core.verification import approval, eligibility, identity, proofs, service
from core.verification.demo import READY_AFTER_S, DemoVerifier
from core.verification.idcard import check_char

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
"""Tuesday 10 March 2026, 10:00 in Shanghai."""
LONG_VALID = date(2027, 12, 31)
ADMIN = "00000000-0000-4000-8000-000000000001"


def id_number(region: str = "110105", born: str = "19880412", seq: str = "123") -> str:
    """A well-formed number: region, birth date, sequence, and its real check digit."""
    first17 = region + born + seq
    return first17 + check_char(first17)


class FakeClock:
    """The demo vendor's clock (seconds since the epoch), moved by the test only."""

    def __init__(self, at: datetime) -> None:
        self.now = at.timestamp()

    def __call__(self) -> float:
        return self.now

    def set(self, at: datetime) -> None:
        self.now = at.timestamp()


@pytest.fixture(scope="session")
def jiejia(tenants) -> Tenant:  # type: ignore[no-untyped-def]
    found = tenants.get("jiejia")
    assert found is not None
    return found


@pytest.fixture(scope="session")
def wanjia(tenants) -> Tenant:  # type: ignore[no-untyped-def]
    found = tenants.get("wanjia")
    assert found is not None
    return found


@dataclass
class Kit:
    """One tenant's providers, made through the service functions a page would call."""

    plugins: DoorstepPluginManager
    tenant: Tenant
    tenant_id: str
    catalog: TenantCatalog
    clock: FakeClock = field(default_factory=lambda: FakeClock(NOW))
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(101))
    phones: dict[str, str] = field(default_factory=dict)
    """Each provider's phone number (``+8613800000101``)."""

    @property
    def verifier(self) -> DemoVerifier:
        return DemoVerifier(clock=self.clock)

    def next_seq(self) -> int:
        return next(self._seq)

    async def provider(
        self, skills: list[str], *, name: str = "王小明", locale: str = "zh_CN"
    ) -> str:
        """A signed-up account that filled in its profile and chose ``skills``."""
        from core.accounts.tables import User
        from core.privacy import service as privacy
        from core.providers import service as providers
        from core.tenancy.scoped import tenant_transaction

        n = self.next_seq()
        phone = f"+86138{n:08d}"
        async with tenant_transaction(self.tenant_id):
            user = User(
                tenant=self.tenant_id,
                kind="customer",
                phone_enc=privacy.seal(phone, field="user.phone", tenant_id=self.tenant_id),
                phone_idx=privacy.lookup_key(phone, purpose="phone", tenant_id=self.tenant_id),
                locale=locale,
            )
            await user.save()
        profile_id = await providers.start_onboarding(str(user.id), self.tenant_id)
        self.phones[profile_id] = phone
        await providers.save_profile(
            profile_id,
            self.tenant_id,
            providers.ProfileInput(
                name=name,
                gender="male",
                birth_year=1988,
                years_experience=8,
                languages=["zh"],
                bio="",
                area_districts=("西湖区",),
            ),
            today=NOW.date(),
        )
        await providers.set_skills(
            profile_id, self.tenant_id, skills, {i.ref for i in self.catalog.items}
        )
        return profile_id

    async def identity(
        self,
        profile_id: str,
        *,
        name: str = "王小明",
        number: str | None = None,
        now: datetime = NOW,
        liveness_token: str = "liveness-token-from-the-phone",
    ) -> None:
        """Submit the ID card and the face check; the vendor answers; the phone is verified."""
        await self.submit_identity(
            profile_id, name=name, number=number, now=now, liveness_token=liveness_token
        )
        later = now + timedelta(seconds=READY_AFTER_S)
        self.clock.set(later)
        await identity.poll_vendor_checks(self.tenant, self.tenant_id, [self.verifier], now=later)
        await identity.record_phone_verified(self.tenant, self.tenant_id, profile_id, now=now)

    async def submit_identity(
        self,
        profile_id: str,
        *,
        name: str = "王小明",
        number: str | None = None,
        now: datetime = NOW,
        liveness_token: str = "liveness-token-from-the-phone",
    ) -> None:
        self.clock.set(now)
        await identity.submit_identity(
            self.tenant,
            self.tenant_id,
            profile_id,
            id_number=number or id_number(seq=str(self.next_seq())),
            real_name=name,
            address="杭州市西湖区文三路 100 号",
            liveness_token=liveness_token,
            verifier=self.verifier,
            now=now,
        )

    async def certificate(
        self,
        profile_id: str,
        kind: str,
        *,
        valid_until: date | None = LONG_VALID,
        valid_from: date = date(2025, 1, 1),
        now: datetime = NOW,
        approve: bool = True,
    ) -> str:
        cert = await proofs.submit_certificate(
            self.tenant_id,
            profile_id,
            kind=kind,
            number="JK-2025-0001",
            issuer="杭州市卫生健康委员会",
            valid_from=valid_from,
            valid_until=valid_until,
            today=now.date(),
        )
        if approve:
            await proofs.review_certificate(
                self.tenant_id, cert, approve=True, reason="", reviewer_id=ADMIN, now=now
            )
        return cert

    async def filing(
        self, profile_id: str, *, review: bool | None = True, now: datetime = NOW
    ) -> None:
        """Submit a police filing; ``review`` True approves, False rejects, None leaves it."""
        await proofs.submit_police_filing(
            self.tenant_id,
            profile_id,
            filing_number="浙公备 330106-2024-0815",
            bureau="杭州市公安局西湖分局",
            filed_on=date(2024, 8, 15),
            now=now,
        )
        if review is not None:
            await proofs.review_police_filing(
                self.tenant,
                self.tenant_id,
                profile_id,
                approve=review,
                reason="" if review else "备案编号查无此号",
                now=now,
            )

    async def course(self, profile_id: str, vertical: str, *, right: bool = True) -> bool:
        course = next(
            c
            for found in self.plugins.for_tenant(self.tenant).training_courses()
            for c in found or []
            if c.vertical == vertical
        )
        answers = {q.key: q.answer if right else "wrong" for q in course.quiz}
        _, passed = await proofs.take_quiz(self.tenant_id, profile_id, course, answers, now=NOW)
        return passed

    async def activate(self, profile_id: str) -> None:
        await approval.submit_for_review(self.tenant_id, profile_id)
        await approval.review_provider(self.tenant_id, profile_id, approve=True, reason="")

    def requirements(self, item_refs: Iterable[str]) -> set[str]:
        """Every certificate the items can ask for (conditional ones included)."""
        codes = set()
        for ref in item_refs:
            item = self.catalog.item(ref)
            assert item is not None, ref
            codes |= {r.code for r in item_requirements(self.plugins, self.tenant, item)}
        return codes

    async def verified(
        self,
        skills: list[str],
        *,
        without: Iterable[str] = (),
        name: str = "王小明",
        locale: str = "zh_CN",
    ) -> str:
        """An active provider with every check the skills need passed, except ``without``
        (certificate or check codes, ``training`` for the courses, ``identity``)."""
        skip = set(without)
        profile_id = await self.provider(skills, name=name, locale=locale)
        if "identity" not in skip:
            await self.identity(profile_id, name=name)
        for code in sorted(self.requirements(skills) - skip):
            if code == service.POLICE_FILING:
                await self.filing(profile_id)
            else:
                await self.certificate(profile_id, code)
        if "training" not in skip:
            for vertical in sorted({ref.split(".")[0] for ref in skills}):
                assert await self.course(profile_id, vertical)
        await self.activate(profile_id)
        return profile_id

    async def offerable(
        self,
        profile_id: str,
        item_ref: str,
        *,
        on: datetime = NOW,
        context: dict[str, bool] | None = None,
        tenant: Tenant | None = None,
    ) -> eligibility.Eligibility:
        return await eligibility.offerable(
            self.plugins,
            tenant or self.tenant,
            self.tenant_id,
            self.catalog,
            profile_id,
            item_ref,
            on,
            context,
        )

    async def state(self, profile_id: str) -> eligibility.ProviderChecks:
        return await eligibility.load_checks(self.tenant_id, profile_id)

    async def rows(self, table: Any, **where: Any) -> list[dict[str, Any]]:
        """Rows of a tenant table, read in the tenant's scope."""
        from core.tenancy.scoped import tenant_transaction

        query = table.select().where(table.tenant == self.tenant_id)
        for name, value in where.items():
            query = query.where(getattr(table, name) == value)
        async with tenant_transaction(self.tenant_id):
            return list(await query)


@pytest.fixture
async def tenant_ids(db, tenants, settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """An empty database with the demo tenants' rows; personal-data keys loaded."""
    from core.privacy import service as privacy
    from core.tenancy.service import sync_tenant_rows, tenant_row_id

    privacy.configure(settings)
    await sync_tenant_rows(tenants)
    ids = {slug: await tenant_row_id(slug) for slug in ("jiejia", "wanjia")}
    assert all(ids.values())
    return {slug: str(value) for slug, value in ids.items()}


@pytest.fixture
def wanjia_kit(plugins, wanjia, tenant_ids) -> Kit:  # type: ignore[no-untyped-def]
    """Wanjia (all four verticals): the providers of these tests live here."""
    catalog, problems = build_catalog(plugins, wanjia)
    assert problems == []
    return Kit(plugins, wanjia, tenant_ids["wanjia"], catalog)


@pytest.fixture
def jiejia_kit(plugins, jiejia, tenant_ids) -> Kit:  # type: ignore[no-untyped-def]
    catalog, problems = build_catalog(plugins, jiejia)
    assert problems == []
    return Kit(plugins, jiejia, tenant_ids["jiejia"], catalog)
