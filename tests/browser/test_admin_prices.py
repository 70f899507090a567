"""An admin changes a price on a phone: signs in, edits, sees the confirmation; the customer's
item page then shows the change. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from core.accounts.passwords import create_staff
from core.boot import prepare_database
from core.tenancy.service import tenant_row_id
from tests.browser.conftest import PHONE, LiveServer, Problems

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
DEEP_INPUT = "#p-tier-housekeeping-home_cleaning-deep"


@pytest.fixture
async def prepared(db, settings, plugins, tenants) -> None:  # type: ignore[no-untyped-def]
    await prepare_database(settings, plugins, tenants)


async def an_admin_of(slug: str) -> str:
    email = f"admin@{slug}.example"
    await create_staff(await tenant_row_id(slug), email, PASSWORD, ["admin"])
    return email


async def sign_in(context: BrowserContext, problems: Problems, server: LiveServer, slug: str,
                  email: str) -> Page:  # fmt: skip
    """Open the price editor signed out, sign in on the staff page, land on the editor."""
    page = await context.new_page()
    problems.watch(page)
    await page.goto(server.url(slug, "/admin/prices"))
    await expect(page).to_have_url(server.url(slug, "/staff/signin?next=%2Fadmin%2Fprices"))
    await page.get_by_label("邮箱").fill(email)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(server.url(slug, "/admin/prices"))
    return page


async def assert_fits_phone_width(page: Page) -> None:
    widths = await page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"{page.url} scrolls sideways: {widths}"


async def test_an_admin_raises_a_price_on_a_phone_and_the_customer_sees_it(
    prepared, browser, phone: BrowserContext, live_server: LiveServer, artifacts: Path
) -> None:
    problems = Problems()
    email = await an_admin_of("jiejia")
    page = await sign_in(phone, problems, live_server, "jiejia", email)

    await expect(page.get_by_role("heading", name="价格管理", exact=True)).to_be_visible()
    deep = page.locator(DEEP_INPUT)
    await expect(deep).to_have_value("9.00")
    await expect(page.get_by_label("深度保洁", exact=True)).to_have_value("9.00")
    await assert_fits_phone_width(page)
    await page.screenshot(path=artifacts / "admin-prices-jiejia.png", full_page=True)

    # Out of the band first: the tier is named and nothing is saved.
    await deep.fill("15")
    bar = page.locator("#save-bar")  # the way to the reason and Save, at the end of the list
    await expect(bar).to_contain_text("已修改 1 项价格")
    await expect(bar).to_be_in_viewport()
    await page.screenshot(path=artifacts / "admin-prices-changed.png", full_page=False)
    await bar.get_by_role("link", name="填写原因并保存").click()
    reason = page.get_by_label("调价原因")
    await expect(reason).to_be_focused()
    await reason.fill("人工成本上涨")
    await page.get_by_role("button", name="保存价格").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("未保存任何修改")
    await expect(alert).to_contain_text("全屋保洁 · 深度保洁")
    await expect(alert).to_contain_text("请输入 ¥7.00 至 ¥14.00 之间的价格")
    await expect(page.locator(DEEP_INPUT)).to_have_attribute("aria-invalid", "true")
    await assert_fits_phone_width(page)
    await page.screenshot(path=artifacts / "admin-prices-error.png", full_page=False)

    # Then a good price: saved as version 2.
    await page.locator(DEEP_INPUT).fill("10.00")
    await page.get_by_role("button", name="保存价格").click()
    await expect(page).to_have_url(live_server.url("jiejia", "/admin/prices?saved=2"))
    status = page.get_by_role("status")
    await expect(status).to_contain_text("已保存为第 2 版价格表。")
    await expect(status).to_be_in_viewport()
    await expect(page.locator(DEEP_INPUT)).to_have_value("10.00")
    await page.screenshot(path=artifacts / "admin-prices-saved.png", full_page=False)

    # The history says who changed what.
    await page.get_by_role("link", name="价格历史").first.click()
    version = page.locator("#version-2")
    await expect(version).to_contain_text("a***@jiejia.example")
    await expect(version).to_contain_text("人工成本上涨")
    await expect(version).to_contain_text("¥9.00 → ¥10.00")
    await assert_fits_phone_width(page)
    await page.screenshot(path=artifacts / "admin-price-history.png", full_page=True)

    # The customer's item page shows the change and prices with it.
    customer = await browser.new_context(**PHONE)
    try:
        item = await customer.new_page()
        problems.watch(item)
        await item.goto(live_server.url("jiejia", "/services/housekeeping/home_cleaning"))
        notice = item.locator(".price-notice")
        await expect(notice).to_contain_text("价格调整")
        await expect(notice).to_contain_text("深度保洁 由 ¥9.00 调整为 ¥10.00")
        await item.get_by_text("深度保洁", exact=True).click()
        await expect(item.locator(".tier-option", has_text="深度保洁")).to_contain_text("¥10.00")
        await item.screenshot(path=artifacts / "admin-prices-customer.png", full_page=False)
    finally:
        await customer.close()
    refused = live_server.url("jiejia", "/admin/prices")
    assert [p for p in problems.found if refused not in p or "400" not in p] == []


async def test_the_price_pages_fit_a_phone_in_the_other_theme_and_in_english(
    prepared, phone: BrowserContext, live_server: LiveServer, artifacts: Path
) -> None:
    """Wanjia: four verticals, the Lantern theme (with its tab bar), then English."""
    problems = Problems()
    email = await an_admin_of("wanjia")
    page = await sign_in(phone, problems, live_server, "wanjia", email)

    await expect(page.get_by_role("heading", name="家政保洁")).to_be_visible()
    await expect(page.get_by_role("heading", name="开锁换锁")).to_be_visible()
    await assert_fits_phone_width(page)
    await expect(page.locator(".tabbar")).to_have_count(0)  # customers' tabs: not here
    await page.screenshot(path=artifacts / "admin-prices-wanjia.png", full_page=True)

    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("heading", name="Prices", exact=True)).to_be_visible()
    await expect(page.get_by_role("button", name="Save prices")).to_be_visible()
    await page.goto(live_server.url("wanjia", "/admin/prices/history"))
    await expect(page.locator("#version-1")).to_contain_text("Tenant configuration")
    await assert_fits_phone_width(page)
    await page.screenshot(path=artifacts / "admin-price-history-wanjia-en.png", full_page=True)
    assert problems.found == []
