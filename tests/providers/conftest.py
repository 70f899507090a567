"""Providers test helpers: the demo tenants' rows, pictures made on the spot, a signed-in
provider's browser, and a provider taken all the way to active through the services."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from PIL import Image

from core.notifications.channels import DEV_INBOX, DevInbox
from core.tenancy.model import Tenant

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
ID_NUMBER = "11010519491231002X"
"""A valid GB 11643 number (checksum, real date, known region)."""


def id_number(seq: int, birth: str = "19800101") -> str:
    """A valid ID number of its own for each ``seq`` (one card backs one provider)."""
    from core.verification.idcard import check_char

    first = f"110105{birth}{seq % 1000:03d}"
    return first + check_char(first)


def jpeg(
    size: tuple[int, int] = (640, 480), colour: tuple[int, int, int] = (30, 120, 200), **save: Any
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", **save)
    return out.getvalue()


def png(size: tuple[int, int] = (400, 400), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def mp4(payload: bytes = b"\x00" * 64) -> bytes:
    """A structurally complete (not playable) MP4: ftyp, moov and mdat boxes."""

    def box(kind: bytes, body: bytes) -> bytes:
        return (8 + len(body)).to_bytes(4, "big") + kind + body

    return (
        box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41")
        + box(b"moov", b"")
        + box(b"mdat", payload)
    )


async def within(tenant_id: str, query: Any) -> Any:
    """Run a query as the tenant (PostgreSQL's row-level security shows its rows only)."""
    from core.tenancy.scoped import tenant_transaction

    async with tenant_transaction(tenant_id):
        return await query


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


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


@dataclass(frozen=True)
class Rows:
    jiejia: str
    wanjia: str


@pytest.fixture
async def rows(db, tenants, settings) -> Rows:  # type: ignore[no-untyped-def]
    """An empty database with the demo tenants' rows; personal-data keys loaded."""
    from core.privacy import service as privacy
    from core.tenancy.service import sync_tenant_rows, tenant_row_id

    privacy.configure(settings)
    await sync_tenant_rows(tenants)
    jiejia_id, wanjia_id = await tenant_row_id("jiejia"), await tenant_row_id("wanjia")
    assert jiejia_id and wanjia_id
    return Rows(jiejia=jiejia_id, wanjia=wanjia_id)


@pytest.fixture
def store(settings):  # type: ignore[no-untyped-def]
    from core.providers.storage import MediaStore

    return MediaStore.under(settings.var_dir)


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[DevInbox]:
    """Demo mode for the test: the console channel keeps the codes it sends."""
    monkeypatch.setenv("DOORSTEP_DEMO", "1")
    DEV_INBOX.clear()
    yield DEV_INBOX
    DEV_INBOX.clear()


class Browser:
    """A phone on one tenant's host: reads pages, posts forms with the page's CSRF token."""

    def __init__(self, client: TestClient, slug: str) -> None:
        self.client = client
        self.slug = slug

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def post(self, page: str, action: str, data: dict[str, Any], **kwargs: Any) -> Any:
        token = csrf_of(self.client.get(page).text)
        return self.client.post(action, data={"_csrf_token": token, **data}, **kwargs)

    def sign_in(self, phone: str, inbox: DevInbox) -> None:
        sent = self.post("/signin", "/signin", {"phone": phone, "consent": "yes"})
        assert sent.status_code == 200, sent.text
        code = inbox.code_for(self.slug, "+86" + phone)
        assert code is not None
        done = self.post(
            "/signin", "/signin/code", {"phone": phone, "code": code}, follow_redirects=False
        )
        assert done.status_code == 303, done.text


@pytest.fixture
def phone(app, rows) -> Iterator[Browser]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://jiejia.localhost") as client:
        yield Browser(client, "jiejia")


@pytest.fixture
def wanjia_phone(app, rows) -> Iterator[Browser]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://wanjia.localhost") as client:
        yield Browser(client, "wanjia")


@dataclass(frozen=True)
class Made:
    profile_id: str
    user_id: str


async def make_provider(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    store: Any,
    *,
    phone: str = "13900001111",
    name: str = "李秀英",
    skills: tuple[str, ...] = ("housekeeping.home_cleaning",),
    health_until: date | None = None,
    activate: bool = True,
    trained: bool = True,
    now: datetime | None = None,
) -> Made:
    """A provider who did every step (through the services), checks passed, certificates
    approved, training passed and, with ``activate``, approved by an admin. Without
    ``trained``: every step but the training course, not submitted for review."""
    from core.accounts.profile import ensure_customer
    from core.catalog.service import build_catalog
    from core.providers import service, storage
    from core.providers.media import Upload, prepare
    from core.verification import approval, identity, proofs
    from core.verification.demo import DemoVerifier
    from core.verification.status import requirements_for

    now = now or datetime.now(UTC)
    today = now.date()
    catalog = build_catalog(plugins, tenant)[0]
    user_id = await ensure_customer(tenant_id, phone)
    profile_id = await service.start_onboarding(user_id, tenant_id)
    await identity.record_phone_verified(tenant, tenant_id, profile_id, now=now)
    await service.save_profile(
        profile_id,
        tenant_id,
        service.ProfileInput(
            name=name,
            gender="female",
            birth_year=1980,
            years_experience=8,
            languages=["zh"],
            bio="认真负责",
            area_districts=("浦东新区",),
        ),
    )
    await service.set_skills(profile_id, tenant_id, list(skills), {i.ref for i in catalog.items})
    await service.save_availability(profile_id, tenant_id, {"mon": ["08:00", "18:00"]}, [])
    await storage.save_media(store, tenant_id, profile_id, "avatar", [Upload(jpeg(), "image/jpeg")])
    vendor = DemoVerifier(clock=lambda: now.timestamp() - 60)
    await identity.submit_identity(
        tenant,
        tenant_id,
        profile_id,
        id_number=id_number(int(phone[-3:])),
        real_name=name,
        address="上海市浦东新区世纪大道100号",
        liveness_token="demo-liveness-test",
        verifier=vendor,
        now=now,
    )
    # The vendor answered a minute ago (started with a clock a minute back).
    await identity.poll_vendor_checks(tenant, tenant_id, [DemoVerifier()], now=now)
    needs = requirements_for(plugins, tenant, catalog, list(skills))
    for code in needs.certificates:
        until = health_until if code == "health_certificate" and health_until else None
        cert_id = await proofs.submit_certificate(
            tenant_id,
            profile_id,
            kind=code,
            number=f"NO-{code[:6]}-123456",
            issuer="上海市卫健委",
            valid_from=today - timedelta(days=30),
            valid_until=until or today + timedelta(days=365),
            today=today,
            image=prepare(
                Upload(jpeg((900, 600)), "image/jpeg"), kind="certificate", field="image"
            ),
            store=store,
        )
        await proofs.review_certificate(
            tenant_id, cert_id, approve=True, reason="", reviewer_id=user_id, now=now
        )
    if needs.police_filing:
        await proofs.submit_police_filing(
            tenant_id,
            profile_id,
            filing_number="ZJHZ-2024-00881",
            bureau="杭州市公安局",
            filed_on=today - timedelta(days=100),
            now=now,
        )
        await proofs.review_police_filing(
            tenant, tenant_id, profile_id, approve=True, reason="", now=now
        )
    if not trained:
        return Made(profile_id=profile_id, user_id=user_id)
    for course in needs.courses:
        answers = {q.key: q.answer for q in course.quiz}
        await proofs.take_quiz(tenant_id, profile_id, course, answers, now=now)
    await approval.submit_for_review(tenant_id, profile_id)
    if activate:
        await approval.review_provider(tenant_id, profile_id, approve=True, reason="", now=now)
    return Made(profile_id=profile_id, user_id=user_id)


async def booking_for(
    tenant_id: str,
    provider_id: str | None,
    *,
    status: str = "accepted",
    starts: datetime | None = None,
    customer_id: str | None = None,
    note: str = "",
) -> str:
    """A booking of ``customer_id`` (default: a new customer), assigned to ``provider_id`` in
    ``status`` (written straight to the table: the booking pipeline has its own tests);
    returns its id."""
    from core.accounts.tables import User
    from core.booking.tables import Booking
    from core.privacy import service as privacy
    from core.tenancy.scoped import tenant_transaction

    starts = starts or datetime(2026, 3, 11, 2, 0, tzinfo=UTC)
    async with tenant_transaction(tenant_id):
        if customer_id is None:
            customer = User(tenant=tenant_id, kind="customer", locale="zh_CN")
            await customer.save()
            customer_id = str(customer.id)
        booking = Booking(
            tenant=tenant_id,
            customer=customer_id,
            provider=provider_id,
            status=status,
            vertical="housekeeping",
            total_fen=30000,
            address_enc=privacy.seal(
                "上海市黄浦区南京东路1号", field="booking.address", tenant_id=tenant_id
            ),
            point_enc=privacy.seal("31.2304,121.4737", field="booking.point", tenant_id=tenant_id),
            district="黄浦区",
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            hold_start=starts - timedelta(minutes=30),
            hold_end=starts + timedelta(hours=3, minutes=30),
            note=note,
        )
        await booking.save()
    return str(booking.id)
