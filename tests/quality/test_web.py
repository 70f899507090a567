"""The quality API and pages, as a customer, a provider and support staff would use them: a
complaint with a photo, the answer with a free re-service and a partial refund, the customer's
acceptance; refusals name their field and change nothing; another person's complaint is a 404.

Web requests run on the wall clock, so the booking here is served the day after tomorrow."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from litestar.testing import TestClient

from core.accounts.passwords import create_staff
from core.accounts.signin import issue_token, start_session
from core.quality.tables import Complaint
from tests.factories import SHANGHAI, World, at
from tests.quality.world import Served, photo, serve

pytestmark = pytest.mark.db
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def day(offset: int) -> Any:
    return (datetime.now(UTC).astimezone(SHANGHAI) + timedelta(days=offset)).date()


@pytest.fixture
async def served_now(jiejia: World) -> Served:
    return await serve(jiejia, start=at(day(2), "09:00"))


async def bearer(world: World, user_id: str) -> dict[str, str]:
    return {"authorization": f"Bearer {await issue_token(user_id, world.tenant_id, label='t')}"}


async def support(world: World) -> str:
    return await create_staff(
        world.tenant_id, "kefu@jiejia.test", "correct horse battery", ["support"], "客服小李"
    )


async def test_the_api_from_a_complaint_to_a_re_service_and_a_partial_refund(
    served_now: Served, client: TestClient
) -> None:
    world = served_now.world
    customer = await bearer(world, served_now.customer)
    staff = await bearer(world, await support(world))
    body = {
        "bookingId": served_now.booking,
        "category": "quality",
        "description": "厨房没有打扫干净",
        "photos": [base64.b64encode(photo().data).decode()],
    }

    created = client.post("/api/v1/complaints", json=body, headers=customer)
    again = client.post("/api/v1/complaints", json=body, headers=customer)

    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    assert again.status_code == 409
    assert again.json()["problems"][0]["field"] == "bookingId"

    shown = client.get(f"/api/v1/complaints/{cid}", headers=customer).json()
    assert (shown["status"], shown["firstResponse"]["state"]) == ("open", "running")
    assert len(shown["evidenceIds"]) == 1
    stranger = await bearer(world, await world.customer())
    assert client.get(f"/api/v1/complaints/{cid}", headers=stranger).status_code == 404

    paid = (await world.booking(served_now.booking))["total_fen"]
    too_much = client.post(
        f"/api/v1/complaints/{cid}/resolve",
        json={"reply": "退款", "upheld": True, "refundFen": paid + 1},
        headers=staff,
    )
    assert too_much.status_code == 400
    assert too_much.json()["problems"][0]["field"] == "refundFen"
    assert (await world.rows(Complaint, id=cid))[0]["status"] == "open"

    resolved = client.post(
        f"/api/v1/complaints/{cid}/resolve",
        json={
            "reply": "为您安排免费返工，并退还部分费用",
            "upheld": True,
            "reserviceAt": at(day(4), "09:00").isoformat(),
            "refundFen": paid // 5,
            "penalty": True,
        },
        headers=staff,
    )
    assert resolved.status_code == 200, resolved.text
    out = resolved.json()
    assert set(out["outcomes"]) >= {"reservice", "refund", "penalty"}
    assert (await world.booking(out["reserviceBookingId"]))["total_fen"] == 0

    assert client.post(f"/api/v1/complaints/{cid}/accept", headers=customer).status_code == 204
    assert (await world.rows(Complaint, id=cid))[0]["status"] == "closed"

    mine = client.get("/api/v1/quality/me", headers=await bearer(world, served_now.provider_user))
    assert mine.status_code == 200
    assert mine.json()["breakdown"]["points"] == 3


async def test_a_provider_cannot_resolve_and_a_customer_cannot_log_a_hotline_call(
    served_now: Served, client: TestClient
) -> None:
    world = served_now.world
    customer = await bearer(world, served_now.customer)
    hotline = client.post(
        "/api/v1/complaints",
        json={
            "bookingId": served_now.booking,
            "category": "rudeness",
            "description": "态度很差",
            "channel": "hotline",
        },
        headers=customer,
    )
    assert hotline.status_code == 403
    assert await world.rows(Complaint) == []


async def test_the_pages_from_the_complaint_form_to_the_staff_board(
    served_now: Served, client: TestClient
) -> None:
    world = served_now.world
    session = await start_session(served_now.customer, world.tenant_id)
    client.cookies.set("doorstep_session", session, domain="jiejia.localhost")
    form = client.get(f"/bookings/{served_now.booking}/complaint")
    assert form.status_code == 200
    assert "遇到了什么问题？" in form.text
    token = CSRF.search(form.text)
    assert token

    filed = client.post(
        f"/bookings/{served_now.booking}/complaint",
        data={"_csrf_token": token.group(1), "category": "lateness", "description": "迟到一小时"},
        files={"photos": ("dirt.jpg", photo().data, "image/jpeg")},
        follow_redirects=False,
    )
    assert filed.status_code == 303, filed.text
    page = client.get(filed.headers["location"])
    assert "已收到投诉" in page.text and "迟到一小时" in page.text
    (row,) = await world.rows(Complaint)
    picture = client.get(f"/complaints/{row['id']}/evidence/{_evidence(page.text)}")
    assert picture.status_code == 200 and picture.content.startswith(b"\xff\xd8")

    staff = await start_session(await support(world), world.tenant_id)
    client.cookies.set("doorstep_session", staff, domain="jiejia.localhost")
    board = client.get("/admin/complaints/")
    assert board.status_code == 200
    assert f"/admin/complaints/{row['id']}" in board.text
    assert "迟到" in board.text


def _evidence(html: str) -> str:
    found = re.search(r"/evidence/([0-9a-f-]{36})", html)
    assert found
    return found.group(1)


async def test_another_tenants_complaint_answers_like_one_that_does_not_exist(
    served_now: Served, wanjia: World, settings, client: TestClient
) -> None:
    from core.quality import service
    from tests.quality.world import STAFF_ACTOR

    theirs = await serve(wanjia, start=at(day(2), "09:00"))
    cid = await service.create_complaint(
        wanjia.tenant,
        wanjia.tenant_id,
        service.evidence_store(settings.var_dir),
        theirs.booking,
        STAFF_ACTOR,
        category="damage",
        description="打碎了花瓶",
        channel="hotline",
    )
    world = served_now.world
    staff = await bearer(world, await support(world))
    session = await start_session(
        await create_staff(
            world.tenant_id, "admin@jiejia.test", "correct horse battery", ["admin"], "管理员"
        ),
        world.tenant_id,
    )

    for path in (f"/api/v1/complaints/{cid}", f"/api/v1/complaints/{uuid4()}"):
        assert client.get(path, headers=staff).status_code == 404
    client.cookies.set("doorstep_session", session, domain="jiejia.localhost")
    for path in (f"/admin/complaints/{cid}", f"/admin/complaints/{uuid4()}"):
        assert client.get(path).status_code == 404
    listed = client.get("/api/v1/complaints", headers=staff).json()
    assert cid not in {c["id"] for c in listed}


async def test_the_home_page_leads_to_the_public_figures_and_providers_to_their_own(
    served_now: Served, client: TestClient
) -> None:
    home = client.get("/")
    assert home.text.count('href="/quality"') == 2  # the home page's promise and the footer

    world = served_now.world
    session = await start_session(served_now.provider_user, world.tenant_id)
    client.cookies.set("doorstep_session", session, domain="jiejia.localhost")
    for page in ("/provider/jobs", "/provider/status"):
        assert 'href="/provider/quality"' in client.get(page).text, page
    assert "我的服务质量" in client.get("/provider/quality").text
