"""On a phone, in Chinese: a customer asks for a cleaner "as soon as possible" from the service
page and watches the search (how many were asked, how far, the seconds left); the nearest
provider accepts in another browser; the customer's page shows her, with her photo (or
initial) and arrival time, without a reload. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.booking.world import World, make_world
from tests.browser.conftest import PHONE, LiveServer, Problems

# Browser journeys run once, on the default engine (SQLite); the services they drive are
# covered on both engines by their own db tests.
pytestmark = pytest.mark.browser
LIVE_UPDATE_MS = 10_000
"""The search page asks every 2 s; allow a few rounds."""
ALL_DAY = {day: ["00:00", "23:59"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
async def world(db, settings, plugins, tenants) -> World:  # type: ignore[no-untyped-def]
    """王小明 with his home in 浦东新区, and 李秀英, a cleaner 1 km away who works all day."""
    made = await make_world(plugins, tenants, settings)
    await made.customer()
    made.provider_id = await made.provider(  # type: ignore[attr-defined]
        "李秀英", centre=(31.2100, 121.5400), hours=ALL_DAY
    )
    return made


async def signed_in(context: BrowserContext, server: LiveServer, session: str) -> Page:
    await context.add_cookies(
        [{"name": "doorstep_session", "value": session, "url": server.url("jiejia")}]
    )
    return await context.new_page()


async def assert_fits_phone_width(page: Page) -> None:
    widths = await page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"{page.url} scrolls sideways: {widths}"


async def test_an_urgent_request_is_taken_and_the_customer_sees_it_without_a_reload(
    world: World, browser, live_server: LiveServer, artifacts: Path
) -> None:
    problems = Problems()
    provider_id: str = world.provider_id  # type: ignore[attr-defined]
    customer_ctx = await browser.new_context(**PHONE)
    provider_ctx = await browser.new_context(**PHONE)
    try:
        customer = await signed_in(
            customer_ctx, live_server, await world.session(world.customer_id)
        )
        problems.watch(customer)
        await customer.goto(live_server.url("jiejia", "/services/housekeeping/home_cleaning"))
        await customer.get_by_text("深度保洁", exact=True).first.click()
        await customer.get_by_label("房屋面积").fill("90")
        await customer.get_by_label("房屋面积").blur()  # its "change" prices once more
        await expect(customer.locator("#quote-total")).to_have_text("¥810.00")
        await customer.wait_for_load_state("networkidle")  # no price request left to cut off
        await customer.get_by_role("button", name="立即上门").click()

        await expect(customer.get_by_role("heading", name="立即上门")).to_be_visible()
        await expect(customer.locator(".bk-summary")).to_contain_text("房屋面积 90 平方米")
        await expect(customer.locator(".bk-option", has_text="家").locator("input")).to_be_checked()
        await assert_fits_phone_width(customer)
        await customer.screenshot(path=artifacts / "urgent-request.png", full_page=True)
        await customer.get_by_role("button", name="立即找师傅").click()

        live = customer.locator("#urgent-live")
        await expect(live).to_contain_text("正在为您联系附近的师傅…")
        await expect(live).to_contain_text("已联系 1 位，搜索范围 3 公里内")
        # counting down from the tenant's 60 s
        await expect(live.locator(".ur-countdown")).to_have_text(re.compile(r"^([1-5]?[0-9]|60)$"))
        await expect(live).not_to_contain_text("李阿姨")  # never who is being asked
        await assert_fits_phone_width(customer)
        await customer.screenshot(path=artifacts / "urgent-searching.png", full_page=True)
        await customer.evaluate("window.stillTheSamePage = true")

        # --- the cleaner accepts on her own phone ------------------------------------------
        provider = await signed_in(
            provider_ctx, live_server, await world.session(await world.user_of(provider_id))
        )
        problems.watch(provider)
        await provider.goto(live_server.url("jiejia", "/provider/jobs"))
        offer = provider.locator(".bk-offer")
        await expect(offer).to_contain_text("深度保洁")
        await offer.locator(".bk-row").first.click()
        await provider.get_by_role("button", name="接单", exact=True).click()
        await expect(provider.locator(".bk-facts")).to_contain_text("锦绣路1001弄 5号楼1202室")

        # --- the customer's page follows, without a reload ---------------------------------
        await expect(live.locator(".ur-found")).to_contain_text(
            "李阿姨 已接单，马上出发。", timeout=LIVE_UPDATE_MS
        )
        await expect(live.locator(".ur-provider .bk-face")).to_be_visible()
        await expect(live.locator(".ur-eta")).to_contain_text("预计")
        await expect(customer.locator("#urgent-stop")).to_be_hidden()
        assert await customer.evaluate("window.stillTheSamePage === true")  # no reload
        await assert_fits_phone_width(customer)
        await customer.screenshot(path=artifacts / "urgent-found.png", full_page=True)
        await live.get_by_role("link", name="查看订单").click()
        await expect(customer.locator(".bk-head")).to_contain_text("李阿姨")
    finally:
        await customer_ctx.close()
        await provider_ctx.close()
    assert problems.found == []
