"""The provider's earnings pages, the admin's finance dashboard (zh-CN and English) and the
ledger API (balance, statement, compensation from the deposit)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from core.accounts.passwords import create_staff
from core.accounts.signin import issue_token, start_session
from core.ledger.payment_postings import record_capture
from core.ledger.provider_postings import record_deposit
from tests.factories import TOMORROW, World, at, make_world

pytestmark = pytest.mark.db
HOST = "jiejia.localhost"


@dataclass
class Site:
    world: World
    client: TestClient
    provider_id: str
    sessions: dict[str, str]
    tokens: dict[str, str]

    def get(self, who: str, path: str, lang: str = "zh_CN") -> Any:
        self.client.cookies.clear()
        self.client.cookies.set("doorstep_lang", lang, domain=HOST)
        if who in self.sessions:
            self.client.cookies.set("doorstep_session", self.sessions[who], domain=HOST)
        return self.client.get(path, follow_redirects=False)

    def api(self, who: str, method: str, path: str, **kwargs: Any) -> Any:
        self.client.cookies.clear()
        headers = {"authorization": f"Bearer {self.tokens[who]}"}
        return self.client.request(method, path, headers=headers, **kwargs)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url=f"http://{HOST}") as made:
        yield made


@pytest.fixture
async def site(db, settings, plugins, tenants, client) -> Site:  # type: ignore[no-untyped-def]
    world = await make_world(plugins, tenants, settings, "jiejia")
    provider = await world.provider()
    people = {
        "provider": await world.provider_user(provider),
        "customer": await world.customer(),
        "admin": await create_staff(
            world.tenant_id, "fin@jiejia.test", "correct horse battery", ["admin"]
        ),
        "dispatcher": await create_staff(
            world.tenant_id, "d@jiejia.test", "correct horse battery", ["dispatcher"]
        ),
    }
    sessions = {who: await start_session(uid, world.tenant_id) for who, uid in people.items()}
    tokens = {who: await issue_token(uid, world.tenant_id) for who, uid in people.items()}
    now = datetime.now(UTC)
    booking = str(uuid.uuid4())
    await record_capture(
        world.tenant,
        world.tenant_id,
        payment_id=uuid.uuid4(),
        booking_id=booking,
        provider_id=provider,
        vertical="housekeeping",
        amount_fen=25_800,
        method="wechat",
        at=now,
        event_key="page:capture",
    )
    await record_deposit(
        world.tenant,
        world.tenant_id,
        provider_id=provider,
        amount_fen=50_000,
        method="alipay",
        at=now,
        event_key="page:deposit",
    )
    return Site(world, client, provider, sessions, tokens)


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        ("zh_CN", ["收入", "下次可结算", "¥211.56", "¥500.00", "下载 PDF"]),
        ("en", ["Earnings", "Available for the next payout", "211.56", "Download CSV"]),
    ],
)
async def test_the_provider_sees_earnings_and_the_statement(
    site: Site, lang: str, texts: list[str]
) -> None:
    page = site.get("provider", "/provider/earnings/", lang)

    assert page.status_code == 200
    for text in texts:
        assert text in page.text, text
    assert page.headers["cache-control"] == "no-store"


async def test_statement_downloads(site: Site) -> None:
    csv = site.get("provider", "/provider/earnings/statement.csv")
    pdf = site.get("provider", "/provider/earnings/statement.pdf")

    assert csv.status_code == 200 and "258.00,46.44,0.00,0.00,211.56" in csv.text
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert site.get("customer", "/provider/earnings/").status_code in {302, 303, 401, 403, 404}


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        (
            "zh_CN",
            [
                "财务",
                "营业额（客户支付）",
                "¥258.00",
                "¥46.44",
                "<svg",
                "尚未进行结算。",
                "<td>家政保洁</td>",
            ],
        ),
        (
            "en",
            [
                "Finance",
                "Revenue (paid by customers)",
                "258.00",
                "Refunds per day",
                "<svg",
                "<td>Housekeeping</td>",
            ],
        ),
    ],
)
async def test_the_finance_dashboard(site: Site, lang: str, texts: list[str]) -> None:
    page = site.get("admin", "/admin/finance/?days=7", lang)

    assert page.status_code == 200
    for text in texts:
        assert text in page.text, text
    assert "<script" not in page.text.split("</nav>", 2)[-1]
    assert site.get("dispatcher", "/admin/finance/").status_code in {302, 303, 403, 404}


async def test_compensation_from_the_deposit_staff_only(site: Site) -> None:
    from core.booking.tables import Booking
    from core.tenancy.scoped import tenant_transaction

    customer = await site.world.customer(locale="en")
    request = site.world.request(at(TOMORROW, "10:00"), provider_id=site.provider_id)
    booking = await site.world.book(customer, request)
    async with tenant_transaction(site.world.tenant_id):
        row = await Booking.select(Booking.provider).where(Booking.id == booking).first()
    assert row is not None and str(row["provider"]) == site.provider_id
    path = f"/api/v1/providers/{site.provider_id}/compensations"
    body = {
        "bookingId": booking,
        "amountFen": 12_000,
        "reason": "地板划伤",
        "idempotencyKey": "case-1",
    }

    assert site.api("provider", "POST", path, json=body).status_code == 404
    assert site.api("dispatcher", "POST", path, json=body).status_code == 403
    made = site.api("admin", "POST", path, json=body)
    again = site.api("admin", "POST", path, json=body)
    too_much = site.api(
        "admin", "POST", path, json={**body, "amountFen": 40_000, "idempotencyKey": "case-2"}
    )
    bad = site.api("admin", "POST", path, json={**body, "amountFen": 0, "idempotencyKey": "c3"})

    assert made.status_code == 201 and made.json()["depositLeftFen"] == 38_000
    assert again.json()["journalId"] == made.json()["journalId"]
    assert too_much.status_code == 409 and too_much.json()["problems"][0]["field"] == "amountFen"
    assert bad.status_code == 400 and bad.json()["problems"][0]["field"] == "amountFen"
    other = site.api("admin", "POST", path, json={**body, "bookingId": str(uuid.uuid4())})
    assert other.status_code == 404


async def test_balance_for_the_provider_and_staff(site: Site) -> None:
    path = f"/api/v1/providers/{site.provider_id}/balance"

    own = site.api("provider", "GET", path)
    staff = site.api("admin", "GET", path)

    assert own.status_code == 200 and own.json()["payableFen"] == 21_156
    assert own.json()["depositFen"] == 50_000 and own.json()["availableFen"] == 0
    assert staff.json() == own.json()
    assert site.api("customer", "GET", path).status_code == 404
    statement = site.api("provider", "GET", f"/api/v1/providers/{site.provider_id}/statement")
    assert statement.json()["netFen"] == 21_156
    bad = site.api("provider", "GET", f"/api/v1/providers/{site.provider_id}/statement?month=March")
    assert bad.status_code == 400 and bad.json()["problems"][0]["field"] == "month"
