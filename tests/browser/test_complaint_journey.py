"""On a phone, in Chinese: a customer whose cleaning yesterday went badly complains from the
booking's page with a photo; support, at a desk, sees the clocks, notes what the provider
said, upholds the complaint and books a free re-service with the same provider; the customer
sees the outcome, opens the new booking and accepts. Screenshots go to the artifacts folder."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import BrowserContext, Page, expect

from core.accounts.passwords import create_staff
from core.accounts.signin import start_session
from core.privacy.service import seal
from core.providers.tables import ProviderProfile
from core.quality.demo import stained_counter_photo
from core.quality.tables import Complaint
from core.tenancy.scoped import scoped, tenant_transaction
from tests.browser.conftest import PHONE, LiveServer, Problems
from tests.factories import World, make_world
from tests.quality.world import Served, serve

pytestmark = pytest.mark.browser
SHANGHAI = ZoneInfo("Asia/Shanghai")
DESK = {"viewport": {"width": 1280, "height": 860}, "locale": "zh-CN"}
WHAT_HAPPENED = "阿姨晚到了四十分钟，厨房台面和灶台都没有擦干净，见照片。"


def local_day(days: int) -> datetime:
    """Today (Shanghai) ``days`` ahead, at midnight, aware."""
    today = datetime.now(UTC).astimezone(SHANGHAI).date()
    return datetime.combine(today + timedelta(days=days), time(0), SHANGHAI)


@pytest.fixture
async def served(db, plugins, tenants, settings) -> Served:  # type: ignore[no-untyped-def]
    """A deep cleaning that was done yesterday from 09:00, checked in 40 minutes late."""
    world: World = await make_world(plugins, tenants, settings, "jiejia")
    provider = await world.provider()
    tid = world.tenant_id
    async with tenant_transaction(tid):
        await (
            scoped(ProviderProfile, tid)
            .update(
                {ProviderProfile.name_enc: seal("李秀英", field="provider.name", tenant_id=tid)}
            )
            .where(ProviderProfile.id == provider)
        )
    start = (local_day(-1) + timedelta(hours=9)).astimezone(UTC)
    return await serve(world, provider=provider, start=start, late_minutes=40)


async def signed_in(context: BrowserContext, server: LiveServer, user: str, tenant: str) -> Page:
    session = await start_session(user, tenant)
    await context.add_cookies(
        [{"name": "doorstep_session", "value": session, "url": server.url("jiejia")}]
    )
    return await context.new_page()


async def fits_phone_width(page: Page) -> None:
    widths = await page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"{page.url} scrolls sideways: {widths}"


async def test_a_complaint_with_a_photo_ends_in_a_free_re_service_the_customer_accepts(
    served: Served, browser, live_server: LiveServer, artifacts: Path
) -> None:
    world = served.world
    tid = world.tenant_id
    support = await create_staff(
        tid, "kefu@jiejia.test", "correct horse battery", ["support"], "客服小李"
    )
    problems = Problems()
    phone_ctx = await browser.new_context(**PHONE)
    desk_ctx = await browser.new_context(**DESK)
    try:
        # --- the customer complains from the booking's page --------------------------------
        customer = await signed_in(phone_ctx, live_server, served.customer, tid)
        problems.watch(customer)
        await customer.goto(live_server.url("jiejia", f"/bookings/{served.booking}"))
        await customer.get_by_role("link", name="服务有问题？投诉").click()
        await expect(customer.get_by_role("heading", name="遇到了什么问题？")).to_be_visible()
        await customer.get_by_label("迟到").check()
        await customer.get_by_label("请描述发生了什么").fill(WHAT_HAPPENED)
        await customer.get_by_label("照片（最多 6 张）").set_input_files(
            {"name": "counter.jpg", "mimeType": "image/jpeg", "buffer": stained_counter_photo()}
        )
        await fits_phone_width(customer)
        await customer.screenshot(path=artifacts / "complaint-1-form.png", full_page=True)
        await customer.get_by_role("button", name="提交投诉").click()

        await expect(customer.get_by_role("status")).to_have_text(
            "已收到投诉，我们会在下方时间前回复。"
        )
        await expect(customer.locator(".q-facts")).to_contain_text("等待我们回复")
        photo = customer.locator(".q-photos img")
        await expect(photo).to_have_count(1)
        await expect(photo).to_have_js_property("complete", True)  # loaded (lazily) or failed
        assert await photo.evaluate("img => img.naturalWidth") > 0
        await fits_phone_width(customer)
        await customer.screenshot(path=artifacts / "complaint-2-filed.png", full_page=True)
        complaint_url = customer.url.split("?")[0]

        # --- support investigates at a desk and grants a re-service ------------------------
        desk = await signed_in(desk_ctx, live_server, support, tid)
        problems.watch(desk)
        await desk.goto(live_server.url("jiejia", "/admin/complaints/"))
        await desk.locator("a", has_text="迟到").first.click()
        await expect(desk.locator(".q-facts")).to_contain_text("首次回复")
        await expect(desk.locator("main")).to_contain_text(WHAT_HAPPENED)
        await desk.get_by_label("消息").fill("已联系服务者：路上堵车，承认台面没有擦完。")
        await desk.get_by_label("仅内部可见的备注").check()
        await desk.get_by_role("button", name="添加").click()
        await expect(desk.locator(".q-thread")).to_contain_text("路上堵车")

        again = local_day(2) + timedelta(hours=10)
        await desk.get_by_label("给客户的答复").fill(
            "非常抱歉，情况属实。我们为您安排了同一位阿姨免费返工。"
        )
        await desk.get_by_label("投诉成立").check()
        await desk.get_by_label("免费返工").check()
        await desk.get_by_label("返工时间").fill(again.strftime("%Y-%m-%dT%H:%M"))
        await desk.evaluate("window.scrollTo(0, 0)")  # the sticky header back on top
        await desk.screenshot(path=artifacts / "complaint-3-support.png", full_page=True)
        await desk.get_by_role("button", name="结案").click()
        await expect(desk.locator("h1")).to_contain_text("已处理：请您确认")
        await expect(desk.locator("main")).to_contain_text("免费返工")
        await desk.evaluate("window.scrollTo(0, 0)")  # the sticky header back on top
        await desk.screenshot(path=artifacts / "complaint-4-resolved.png", full_page=True)

        # --- the customer sees the outcome, the new booking, and accepts -------------------
        await customer.goto(complaint_url)
        await expect(customer.locator(".q-facts")).to_contain_text("已处理：请您确认")
        outcome = customer.locator(".q-outcome")
        await expect(outcome).to_contain_text("我们为您安排了同一位阿姨免费返工")
        await fits_phone_width(customer)
        await customer.screenshot(path=artifacts / "complaint-5-outcome.png", full_page=True)
        await outcome.get_by_role("link", name="查看新订单").click()
        await expect(customer.locator("main")).to_contain_text(f"{again.month}/{again.day} 10:00")
        await expect(customer.locator("main")).to_contain_text("¥0.00")
        await expect(customer.locator("main")).to_contain_text("等待 李阿姨 接单")
        await customer.screenshot(path=artifacts / "complaint-6-reservice.png", full_page=True)
        await customer.go_back()
        await customer.get_by_role("button", name="接受处理结果").click()

        await expect(customer.get_by_role("status")).to_have_text("谢谢，投诉已关闭。")
        await expect(customer.locator(".q-facts")).to_contain_text("已结束")
        await expect(customer.get_by_role("button", name="接受处理结果")).to_have_count(0)
        await expect(customer.locator(".q-msg-system")).to_have_text(
            re.compile("客户已接受处理结果")
        )
        await customer.screenshot(path=artifacts / "complaint-7-accepted.png", full_page=True)
        assert problems.found == []
    finally:
        await phone_ctx.close()
        await desk_ctx.close()

    (row,) = await world.rows(Complaint)
    assert (row["status"], row["upheld"], row["outcomes"]) == (
        "closed",
        True,
        "explanation,reservice",
    )
    reservice = await world.booking(str(row["reservice_booking"]))
    assert (reservice["total_fen"], str(reservice["provider"])) == (0, served.provider)
    assert reservice["starts_at"] == again.astimezone(UTC)


async def test_the_demo_s_public_quality_page_on_a_phone(
    db, tenants, plugins, settings, phone, live_server: LiveServer, artifacts: Path
) -> None:  # type: ignore[no-untyped-def]
    """Figures per service and per provider, from the home page's link, without sideways
    scrolling (the wide table scrolls in its own box)."""
    from core.demo import seed_demo

    await seed_demo(tenants, plugins, settings)
    problems = Problems()
    page = await phone.new_page()
    problems.watch(page)
    await page.goto(live_server.url("jiejia", "/"))
    await page.get_by_role(
        "link", name="查看我们的服务质量：评分、准时率和投诉情况，每日公布"
    ).click()

    await expect(page.get_by_role("heading", name="我们的服务质量")).to_be_visible()
    service_row = page.locator("tr", has_text="家政保洁")
    await expect(service_row).to_contain_text("4.5")
    await expect(page.locator("tr a[href^='/providers/']")).to_have_count(1)
    await fits_phone_width(page)
    await page.screenshot(path=artifacts / "quality-public.png", full_page=True)
    assert problems.found == []
