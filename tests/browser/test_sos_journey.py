"""On a phone, in Chinese: a provider on the way to a job presses SOS, sees the countdown run
out and the confirmation; the safety officer's console shows the alert live (no reload) and
the officer acknowledges it. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from core.accounts.signin import start_session
from tests.browser.conftest import PHONE, LiveServer, Problems
from tests.safety.conftest import ACCEPTED_AT, EN_ROUTE_AT, Scene, scene  # noqa: F401

pytestmark = pytest.mark.browser
COUNTDOWN_AND_POLL_MS = 15_000
"""The 5 s countdown, then the console's 5 s poll, with room to spare."""


async def test_a_provider_s_sos_reaches_the_console_live_and_is_acknowledged(
    scene: Scene,  # noqa: F811 (the fixture imported above)
    browser,
    live_server: LiveServer,
    artifacts: Path,
) -> None:
    await scene.move("accepted", ACCEPTED_AT)
    await scene.move("en_route", EN_ROUTE_AT)
    lat, lng = scene.away(1.0)
    problems = Problems()
    provider_ctx = await browser.new_context(
        **PHONE, permissions=["geolocation"], geolocation={"latitude": lat, "longitude": lng}
    )
    officer_ctx = await browser.new_context(**PHONE)
    try:
        for ctx, user in ((provider_ctx, scene.provider_user), (officer_ctx, scene.officer)):
            await ctx.add_cookies(
                [
                    {
                        "name": "doorstep_session",
                        "value": await start_session(user, scene.tenant_id),
                        "url": live_server.url("jiejia"),
                    }
                ]
            )
        officer = await officer_ctx.new_page()
        problems.watch(officer)
        await officer.goto(live_server.url("jiejia", "/admin/safety"))
        banner = officer.locator("[data-safety-banner]")
        await expect(banner).to_be_hidden()

        phone = await provider_ctx.new_page()
        problems.watch(phone)
        await phone.goto(live_server.url("jiejia", f"/provider/jobs/{scene.booking}"))
        await phone.get_by_role("button", name="SOS 求助").click()
        await expect(phone.locator("[data-sos-countdown]")).to_be_visible()
        await phone.screenshot(path=artifacts / "sos-countdown.png", full_page=True)
        await expect(phone.get_by_role("heading", name="您的 SOS 已收到")).to_be_visible(
            timeout=COUNTDOWN_AND_POLL_MS
        )
        await phone.screenshot(path=artifacts / "sos-sent.png", full_page=True)

        await expect(banner).to_be_visible(timeout=COUNTDOWN_AND_POLL_MS)
        await expect(banner).to_contain_text("SOS：1 个事件等待确认")
        # The list under the banner shows it too, without the officer reloading.
        await expect(officer.locator("[data-incident-list] tbody a")).to_have_count(
            1, timeout=COUNTDOWN_AND_POLL_MS
        )
        await officer.screenshot(path=artifacts / "sos-console-banner.png", full_page=True)
        await banner.get_by_role("link", name="打开").click()
        await officer.get_by_role("button", name="确认接手").click()
        await expect(officer.locator(".facts")).to_contain_text("已确认")
        await expect(officer.locator(".chain-ok")).to_be_visible()
        await officer.screenshot(path=artifacts / "sos-acknowledged.png", full_page=True)
        assert problems.found == []
    finally:
        await provider_ctx.close()
        await officer_ctx.close()


async def test_a_customer_s_sos_from_the_booking_page_opens_an_incident(
    scene: Scene,  # noqa: F811 (the fixture imported above)
    browser,
    live_server: LiveServer,
    artifacts: Path,
) -> None:
    from core.safety.tables import Incident

    await scene.move("accepted", ACCEPTED_AT)
    await scene.move("en_route", EN_ROUTE_AT)
    problems = Problems()
    ctx = await browser.new_context(**PHONE)
    try:
        await ctx.add_cookies(
            [
                {
                    "name": "doorstep_session",
                    "value": await start_session(scene.customer, scene.tenant_id),
                    "url": live_server.url("jiejia"),
                }
            ]
        )
        page = await ctx.new_page()
        problems.watch(page)
        await page.goto(live_server.url("jiejia", f"/bookings/{scene.booking}"))
        await page.get_by_role("button", name="SOS 求助").click()
        await expect(page.locator("[data-sos-countdown]")).to_be_visible()
        await expect(page.get_by_role("heading", name="您的 SOS 已收到")).to_be_visible(
            timeout=COUNTDOWN_AND_POLL_MS
        )
        await page.screenshot(path=artifacts / "sos-sent-customer.png", full_page=True)
        assert problems.found == []
    finally:
        await ctx.close()
    (incident,) = await scene.rows(Incident)
    assert (incident["raised_role"], str(incident["raised_by"])) == ("customer", scene.customer)
    assert str(incident["booking"]) == scene.booking and incident["status"] == "open"
