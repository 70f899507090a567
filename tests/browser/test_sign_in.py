"""Signing in on a phone in Chinese with an SMS code (read from the demo's /dev/codes page),
keeping an address, signing out; and an admin disabling a customer mid-session."""

from __future__ import annotations

import dataclasses
import os
import re
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.browser.conftest import PHONE, LiveServer, Problems, _wait_for_health

pytestmark = pytest.mark.browser
CUSTOMER = "13812341234"
ADMIN_EMAIL = "admin@jiejia.test"
ADMIN_PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def demo_server(settings, plugins, tenants, migrated) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """The app in demo mode (the console channel keeps codes; /dev/codes exists), on its own
    port, for this module only."""
    import uvicorn

    from core.web.app import create_app

    before = os.environ.get("DOORSTEP_DEMO")
    os.environ["DOORSTEP_DEMO"] = "1"
    app = create_app(
        settings=dataclasses.replace(settings, demo=True), plugins=plugins, tenants=tenants
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_for_health(server, port, thread)
        yield LiveServer(port=port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        if before is None:
            os.environ.pop("DOORSTEP_DEMO", None)
        else:
            os.environ["DOORSTEP_DEMO"] = before


@pytest.fixture
async def people(db, tenants, settings) -> str:  # type: ignore[no-untyped-def]
    """The demo tenants' rows and jiejia's admin; returns jiejia's row id."""
    from core.accounts import passwords
    from core.notifications.channels import DEV_INBOX
    from core.privacy import service as privacy
    from core.tenancy.service import sync_tenant_rows, tenant_row_id

    privacy.configure(settings)
    DEV_INBOX.clear()
    await sync_tenant_rows(tenants)
    tenant_id = await tenant_row_id("jiejia")
    assert tenant_id
    await passwords.create_staff(tenant_id, ADMIN_EMAIL, ADMIN_PASSWORD, ["admin"], "周海涛")
    return tenant_id


@pytest.fixture
async def phone_context(browser, demo_server) -> AsyncIterator[BrowserContext]:  # type: ignore[no-untyped-def]
    context = await browser.new_context(**PHONE)
    try:
        yield context
    finally:
        await context.close()


async def assert_fits_phone_width(page: Page) -> None:
    widths = await page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"{page.url} scrolls sideways: {widths}"


async def read_code(context: BrowserContext, server: LiveServer, masked: str) -> str:
    """Open the demo's code page in another tab and read the number's latest code."""
    page = await context.new_page()
    await page.goto(server.url("jiejia", "/dev/codes"))
    row = page.locator(".code-list li", has_text=masked)
    await expect(row).to_have_count(1)
    code = (await row.locator(".code").inner_text()).strip()
    await page.close()
    assert re.fullmatch(r"[0-9]{6}", code), code
    return code


async def test_a_customer_signs_in_with_a_code_keeps_an_address_and_signs_out(
    people: str, phone_context: BrowserContext, demo_server: LiveServer, artifacts: Path
) -> None:
    problems = Problems()
    page = await phone_context.new_page()
    problems.watch(page)
    await page.goto(demo_server.url("jiejia", "/"))

    # From the home page, "登录" leads to the sign-in page.
    await page.get_by_role("link", name="登录", exact=True).tap()
    await expect(page.get_by_role("heading", name="登录 / 注册")).to_be_visible()
    await page.get_by_label("手机号码").fill(CUSTOMER)
    await page.get_by_role("button", name="获取验证码").tap()
    # Without consent, the checkbox is named as the thing to fix.
    await expect(page.locator("#err-consent")).to_contain_text("同意说明")
    # that refusal was answered 400 on purpose; nothing else may have failed
    assert all("/signin" in found and "400" in found for found in problems.found), problems.found
    problems.found.clear()
    await page.get_by_role("checkbox").check()
    await assert_fits_phone_width(page)
    await page.screenshot(path=artifacts / "signin-zh-CN.png", full_page=True)
    await page.get_by_role("button", name="获取验证码").tap()

    await expect(page.get_by_text("验证码已发送至 138****1234，10 分钟内有效。")).to_be_visible()
    code = await read_code(phone_context, demo_server, "138****1234")
    await page.get_by_label("验证码").fill(code)
    await page.screenshot(path=artifacts / "signin-code-zh-CN.png", full_page=True)
    await page.get_by_role("button", name="登录", exact=True).tap()

    # Signed in: the account page, the number masked.
    await expect(page.get_by_role("heading", name="我的账户", exact=True)).to_be_visible()
    await expect(page.locator(".facts")).to_contain_text("138****1234")
    await expect(page.locator("body")).not_to_contain_text(CUSTOMER)

    # Add 家: it is saved, located and shown.
    await page.get_by_label("地址名称").fill("家")
    await page.get_by_label("详细地址").fill("上海市浦东新区世纪大道100号 38楼")
    await page.get_by_role("button", name="保存地址").tap()
    await expect(page.get_by_text("地址已保存。")).to_be_visible()
    card = page.locator(".address-card", has_text="家")
    await expect(card).to_contain_text("上海市浦东新区世纪大道100号 38楼")
    await expect(card).to_contain_text("默认")
    await expect(card).not_to_contain_text("未定位")
    await assert_fits_phone_width(page)
    await page.screenshot(path=artifacts / "account-zh-CN.png", full_page=True)

    # The same page in English.
    await page.get_by_role("link", name="English", exact=True).tap()
    await expect(page.get_by_role("heading", name="My account", exact=True)).to_be_visible()
    await expect(page.locator(".address-card")).to_contain_text("Default")
    await assert_fits_phone_width(page)
    await page.screenshot(path=artifacts / "account-en.png", full_page=True)

    # Sign out from the header's menu.
    await page.get_by_title("My account").tap()
    await page.get_by_role("button", name="Sign out").tap()
    await expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    await page.get_by_role("link", name="中文", exact=True).tap()
    await expect(page.get_by_role("link", name="登录", exact=True)).to_be_visible()
    await page.goto(demo_server.url("jiejia", "/account"))
    await expect(page.get_by_role("heading", name="登录 / 注册")).to_be_visible()

    assert problems.found == [], "\n".join(problems.found)


async def test_the_privacy_notice_reads_well_on_a_phone(
    people: str, phone_context: BrowserContext, demo_server: LiveServer, artifacts: Path
) -> None:
    problems = Problems()
    page = await phone_context.new_page()
    problems.watch(page)
    await page.goto(demo_server.url("jiejia", "/privacy"))

    await expect(page.get_by_role("heading", name="个人信息保护说明")).to_be_visible()
    await expect(page.get_by_role("heading", name="谁能看到")).to_be_visible()
    await assert_fits_phone_width(page)
    await page.screenshot(path=artifacts / "privacy-zh-CN.png", full_page=True)

    await page.get_by_role("link", name="English", exact=True).tap()
    await expect(page.get_by_role("heading", name="Personal-data notice")).to_be_visible()
    await expect(page.get_by_role("heading", name="Who sees it")).to_be_visible()
    await page.screenshot(path=artifacts / "privacy-en.png", full_page=True)

    assert problems.found == [], "\n".join(problems.found)


async def test_an_admin_disables_a_customer_whose_open_session_stops_working(
    people: str, browser, demo_server: LiveServer, artifacts: Path
) -> None:  # type: ignore[no-untyped-def]
    from core.accounts import profile, signin

    customer_id = await profile.ensure_customer(people, CUSTOMER, "王小明")
    token = await signin.start_session(customer_id, people)
    customer = await browser.new_context(**PHONE)
    admin = await browser.new_context(**PHONE)
    problems = Problems()
    try:
        await customer.add_cookies(
            [{"name": "doorstep_session", "value": token, "url": demo_server.url("jiejia")}]
        )
        shop = await customer.new_page()
        problems.watch(shop)
        await shop.goto(demo_server.url("jiejia", "/account"))
        await expect(shop.get_by_role("heading", name="我的账户", exact=True)).to_be_visible()

        console = await admin.new_page()
        problems.watch(console)
        await console.goto(demo_server.url("jiejia", "/admin/users"))
        await expect(console.get_by_role("heading", name="员工登录")).to_be_visible()
        await console.get_by_label("邮箱").fill(ADMIN_EMAIL)
        await console.get_by_label("密码").fill(ADMIN_PASSWORD)
        await console.get_by_role("button", name="登录", exact=True).tap()
        await expect(console.get_by_role("heading", name="用户", exact=True)).to_be_visible()
        card = console.locator(".user-card", has_text="138****1234")
        await expect(card).to_contain_text("王**")
        await expect(console.locator("body")).not_to_contain_text("王小明")
        await assert_fits_phone_width(console)
        await console.screenshot(path=artifacts / "admin-users-zh-CN.png", full_page=True)
        await card.get_by_role("button", name="停用").tap()
        await expect(console.get_by_text("账户已停用，并已在所有设备上退出登录。")).to_be_visible()
        await expect(console.locator(".user-card", has_text="138****1234")).to_contain_text(
            "已停用"
        )

        await shop.reload()
        await expect(shop.get_by_role("heading", name="登录 / 注册")).to_be_visible()

        await console.goto(demo_server.url("jiejia", "/admin/audit"))
        await expect(console.get_by_text("user_disabled")).to_be_visible()
        await assert_fits_phone_width(console)
        await console.screenshot(path=artifacts / "admin-audit-zh-CN.png", full_page=True)
    finally:
        await customer.close()
        await admin.close()

    assert problems.found == [], "\n".join(problems.found)


async def test_the_account_pages_fit_the_other_brands_theme(
    people: str, phone_context: BrowserContext, demo_server: LiveServer, artifacts: Path
) -> None:
    from core.accounts import profile, signin
    from core.dispatch.demo_geocoder import DemoGeocoder
    from core.tenancy.service import tenant_row_id

    wanjia = await tenant_row_id("wanjia")
    assert wanjia
    customer = await profile.ensure_customer(wanjia, "13757118832", "刘洋")
    await profile.add_address(
        customer, wanjia, "家", "杭州市西湖区文三路478号 华星时代广场A座1203", [DemoGeocoder()]
    )
    problems = Problems()
    page = await phone_context.new_page()
    problems.watch(page)

    await page.goto(demo_server.url("wanjia", "/signin"))
    await expect(page.get_by_role("heading", name="登录 / 注册")).to_be_visible()
    await assert_fits_phone_width(page)
    await page.screenshot(path=artifacts / "wanjia-signin-zh-CN.png", full_page=True)

    token = await signin.start_session(customer, wanjia)
    await phone_context.add_cookies(
        [{"name": "doorstep_session", "value": token, "url": demo_server.url("wanjia")}]
    )
    await page.goto(demo_server.url("wanjia", "/account"))
    await expect(page.locator(".address-card")).to_contain_text("文三路478号")
    await expect(page.locator(".address-card")).not_to_contain_text("未定位")
    await expect(page.get_by_title("我的账户")).to_be_visible()
    await assert_fits_phone_width(page)
    await page.screenshot(path=artifacts / "wanjia-account-zh-CN.png", full_page=True)
    # the tab bar never hides the last button of the page
    await page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    last = await page.locator(".panel-danger .button").bounding_box()
    tabbar = await page.locator(".tabbar").bounding_box()
    assert last and tabbar and last["y"] + last["height"] <= tabbar["y"]

    assert problems.found == [], "\n".join(problems.found)
