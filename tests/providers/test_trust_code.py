"""The door trust code (安心码): a short-lived signed QR on the provider's phone; scanning it
shows the customer a verdict they can read without colour."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from core.verification import trust
from tests.providers.conftest import make_provider

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


async def test_a_code_for_a_booking_says_it_is_the_assigned_provider(
    rows, store, plugins, jiejia, phone
) -> None:
    made = await make_provider(plugins, jiejia, rows.jiejia, store)
    code = trust.issue(rows.jiejia, made.profile_id, "booking-123", datetime.now(UTC))

    assert "这是为您订单指派的服务者" in phone.get(f"/t/{code}").text


async def test_only_providers_have_a_trust_code_page(rows, phone, inbox) -> None:
    phone.sign_in("13900004444", inbox)  # a customer

    assert phone.get("/provider/trust-code").status_code == 404
