"""The door trust code (安心码): a short-lived signed QR on the provider's phone; scanning it
shows the customer a verdict they can read without colour."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from core.booking.tables import Booking
from core.verification import trust
from core.verification.tables import Certificate
from tests.providers.conftest import booking_for, make_provider, within

pytestmark = pytest.mark.db
CODE_URL = re.compile(r"http://jiejia\.localhost/t/([A-Za-z0-9_-]+)")


async def test_a_fully_valid_provider_shows_green_at_the_door(
    rows, store, plugins, jiejia, phone, inbox
) -> None:
    await make_provider(plugins, jiejia, rows.jiejia, store, phone="13900003333")
    phone.sign_in("13900003333", inbox)

    page = phone.get("/provider/trust-code")

    assert page.status_code == 200
    assert "<svg" in page.text and "安心码" in page.text
    code = CODE_URL.search(page.text)
    assert code, "the page shows the URL the QR encodes"
    scanned = phone.get(f"/t/{code.group(1)}")
    assert scanned.status_code == 200
    assert "verdict-green" in scanned.text
    assert "✔" in scanned.text and "已核验" in scanned.text  # icon and word, not colour alone
    assert "王阿姨" in scanned.text or "李阿姨" in scanned.text
    assert "/media/avatar/" in scanned.text
    assert "这是为您订单指派的服务者" not in scanned.text  # no booking in the code


async def test_a_health_certificate_expiring_in_5_days_turns_the_verdict_yellow(
    rows, store, plugins, jiejia, phone
) -> None:
    soon = date.today() + timedelta(days=5)
    made = await make_provider(plugins, jiejia, rows.jiejia, store, health_until=soon)
    code = trust.issue(rows.jiejia, made.profile_id, "", datetime.now(UTC))

    scanned = phone.get(f"/t/{code}")

    assert "verdict-yellow" in scanned.text
    assert "⚠" in scanned.text and "请注意核实" in scanned.text
    assert "健康证将在 7 天内到期" in scanned.text


async def test_a_provider_not_yet_active_shows_red(rows, store, plugins, jiejia, phone) -> None:
    made = await make_provider(plugins, jiejia, rows.jiejia, store, activate=False)
    code = trust.issue(rows.jiejia, made.profile_id, "", datetime.now(UTC))

    scanned = phone.get(f"/t/{code}")

    assert "verdict-red" in scanned.text and "未通过核验" in scanned.text
    assert "该服务者的账户未启用" in scanned.text


async def test_an_expired_code_says_so(rows, store, plugins, jiejia, phone) -> None:
    made = await make_provider(plugins, jiejia, rows.jiejia, store)
    old = trust.issue(rows.jiejia, made.profile_id, "", datetime.now(UTC) - timedelta(minutes=6))

    scanned = phone.get(f"/t/{old}")

    assert "安心码已过期" in scanned.text
    assert "verdict-green" not in scanned.text


async def test_a_forged_code_says_so(rows, store, plugins, jiejia, phone) -> None:
    made = await make_provider(plugins, jiejia, rows.jiejia, store)
    code = trust.issue(rows.jiejia, made.profile_id, "", datetime.now(UTC))
    altered = code[:10] + ("A" if code[10] != "A" else "B") + code[11:]

    for forged in (altered, "bm90LWEtY29kZQ", "x"):
        scanned = phone.get(f"/t/{forged}")
        assert scanned.status_code == 200
        assert "可能是伪造的" in scanned.text
        assert "verdict-green" not in scanned.text


async def test_another_platforms_code_is_not_accepted(rows, store, plugins, wanjia, phone) -> None:
    made = await make_provider(plugins, wanjia, rows.wanjia, store)
    code = trust.issue(rows.wanjia, made.profile_id, "", datetime.now(UTC))

    scanned = phone.get(f"/t/{code}")  # on jiejia's host

    assert "不是洁家到家的安心码" in scanned.text


async def test_a_code_shown_from_a_job_says_it_is_the_provider_assigned_to_it(
    rows, store, plugins, jiejia, phone, inbox
) -> None:
    made = await make_provider(plugins, jiejia, rows.jiejia, store, phone="13900003333")
    booking_id = await booking_for(rows.jiejia, made.profile_id, status="en_route")
    phone.sign_in("13900003333", inbox)

    page = phone.get(f"/provider/trust-code?booking={booking_id}")

    assert page.status_code == 200
    assert f"?booking={booking_id}" in page.text  # "new code now" keeps the booking
    code = CODE_URL.search(page.text)
    assert code
    assert trust.read(code.group(1), datetime.now(UTC), tenant_id=rows.jiejia).booking_id == (
        booking_id
    )
    scanned = phone.get(f"/t/{code.group(1)}").text
    assert "verdict-green" in scanned and "这是为您订单指派的服务者" in scanned


async def test_a_code_for_a_booking_reassigned_since_turns_red(
    rows, store, plugins, jiejia, phone
) -> None:
    first = await make_provider(plugins, jiejia, rows.jiejia, store, phone="13900003333")
    second = await make_provider(plugins, jiejia, rows.jiejia, store, phone="13900003334")
    booking_id = await booking_for(rows.jiejia, first.profile_id)
    code = trust.issue(rows.jiejia, first.profile_id, booking_id, datetime.now(UTC))
    assert "这是为您订单指派的服务者" in phone.get(f"/t/{code}").text

    await within(
        rows.jiejia,
        Booking.update({Booking.provider: second.profile_id}).where(Booking.id == booking_id),
    )
    scanned = phone.get(f"/t/{code}").text

    assert "verdict-red" in scanned and "此人不是为您订单指派的服务者" in scanned
    assert "这是为您订单指派的服务者" not in scanned


async def test_a_code_for_a_cancelled_or_unknown_booking_is_red(
    rows, store, plugins, jiejia, phone
) -> None:
    made = await make_provider(plugins, jiejia, rows.jiejia, store)
    cancelled = await booking_for(rows.jiejia, made.profile_id, status="cancelled")
    now = datetime.now(UTC)

    for booking_id in (cancelled, str(uuid.uuid4()), "DS20260310001"):
        scanned = phone.get(f"/t/{trust.issue(rows.jiejia, made.profile_id, booking_id, now)}")
        assert "verdict-red" in scanned.text and "此人不是为您订单指派的服务者" in scanned.text


async def test_a_provider_cannot_show_a_code_for_a_job_that_is_not_theirs(
    rows, store, plugins, jiejia, phone, inbox
) -> None:
    made = await make_provider(plugins, jiejia, rows.jiejia, store, phone="13900003333")
    other = await make_provider(plugins, jiejia, rows.jiejia, store, phone="13900003334")
    theirs = await booking_for(rows.jiejia, other.profile_id)
    finished = await booking_for(rows.jiejia, made.profile_id, status="completed")
    phone.sign_in("13900003333", inbox)

    for booking_id in (theirs, finished, str(uuid.uuid4()), "not-a-booking"):
        assert phone.get(f"/provider/trust-code?booking={booking_id}").status_code == 404


async def test_a_lapsed_certificate_turns_the_scan_yellow_then_red_once_the_item_is_suspended(
    rows, store, plugins, jiejia, phone
) -> None:
    """The certificate ran out yesterday: the scan says so at once (yellow); the worker's
    expiry pass then suspends the provider's only service, and the scan turns red."""
    from core.catalog.service import build_catalog
    from core.verification.jobs import run_certificate_expiry

    made = await make_provider(plugins, jiejia, rows.jiejia, store)
    yesterday = date.today() - timedelta(days=1)
    await within(
        rows.jiejia,
        Certificate.update({Certificate.valid_until: yesterday}).where(
            Certificate.kind == "health_certificate"
        ),
    )
    code = trust.issue(rows.jiejia, made.profile_id, "", datetime.now(UTC))

    lapsed = phone.get(f"/t/{code}").text
    assert "verdict-yellow" in lapsed and "健康证已过期" in lapsed

    async def ignore(provider: str, event: str, params: dict[str, str]) -> None:
        return None

    catalog = build_catalog(plugins, jiejia)[0]
    await run_certificate_expiry(plugins, jiejia, rows.jiejia, catalog, datetime.now(UTC), ignore)
    suspended = phone.get(f"/t/{code}").text

    assert "verdict-red" in suspended and "该服务者的所有服务均已暂停" in suspended


async def test_only_providers_have_a_trust_code_page(rows, phone, inbox) -> None:
    phone.sign_in("13900004444", inbox)  # a customer

    assert phone.get("/provider/trust-code").status_code == 404


async def test_the_job_page_leads_to_the_trust_code_of_that_booking(
    plugins, tenants, settings, rows, app
) -> None:  # type: ignore[no-untyped-def]
    """From an accepted job, "show my trust code" opens the code that carries the booking."""
    from litestar.testing import TestClient

    from core.accounts.signin import start_session
    from tests.factories import TOMORROW, at, make_world

    world = await make_world(plugins, tenants, settings, "jiejia")
    provider = await world.provider()
    customer = await world.customer()
    booking_id = await world.book(
        customer, world.request(at(TOMORROW, "14:00"), provider_id=provider)
    )
    await within(
        rows.jiejia, Booking.update({Booking.status: "accepted"}).where(Booking.id == booking_id)
    )
    session = await start_session(await world.provider_user(provider), rows.jiejia)

    with TestClient(app, base_url="http://jiejia.localhost") as client:
        client.cookies.set("doorstep_session", session, domain="jiejia.localhost")
        job = client.get(f"/provider/jobs/{booking_id}")
        assert job.status_code == 200, job.text
        link = f"/provider/trust-code?booking={booking_id}"
        assert f'href="{link}"' in job.text and "到门口出示安心码" in job.text
        shown = client.get(link)

    assert shown.status_code == 200
    code = CODE_URL.search(shown.text)
    assert code
    assert trust.read(code.group(1), datetime.now(UTC), tenant_id=rows.jiejia).booking_id == (
        booking_id
    )
