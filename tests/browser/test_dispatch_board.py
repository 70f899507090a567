"""In Chinese: the dispatcher plans tomorrow with one click on a tablet (the button turns into
a progress bar while the solver runs, then the board shows every route on one map and the
totals) and slots in a job booked since; the provider opens the day's route on a phone (stops
in order with times, the map, navigate links); the customer's booking page shows the arrival
window. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, Route, expect

from core.web.tenant import LANG_COOKIE
from tests.booking.world import World, make_world
from tests.browser.conftest import PHONE, LiveServer, Problems
from tests.dispatch.test_pages import book, plan

pytestmark = pytest.mark.browser
TABLET = {**PHONE, "viewport": {"width": 1024, "height": 1366}, "device_scale_factor": 1}


@pytest.fixture
async def day(db, settings, plugins, tenants) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Tomorrow in jiejia: 李秀英 has two accepted jobs, 赵敏 one; a dispatcher is on duty."""
    world = await make_world(plugins, tenants, settings)
    customer = await world.customer()
    other = await world.person("13916285730", "李娜")
    li = await world.provider("李秀英", centre=(31.2100, 121.5400))
    zhao = await world.provider("赵敏", centre=(31.2347, 121.4700), radius_km=12)
    first = await book(world, customer, "09:00", provider=li, accept=True)
    await book(world, other, "14:00", provider=li, point=(31.2200, 121.5300), accept=True)
    await book(world, other, "10:00", provider=zhao, point=(31.2300, 121.4800), accept=True)
    return {
        "customer": await world.session(customer),
        "provider": await world.session(await world.user_of(li)),
        "dispatcher": await world.session(await world.staff("d@jiejia.example", ("dispatcher",))),
        "booking": first,
        "other": other,
        "li": li,
        "world": world,  # type: ignore[dict-item]
    }


async def open_as(context: BrowserContext, server: LiveServer, session: str) -> Page:
    await context.add_cookies(
        [{"name": "doorstep_session", "value": session, "url": server.url("jiejia")}]
    )
    return await context.new_page()


async def assert_fits_width(page: Page) -> None:
    widths = await page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"{page.url} scrolls sideways: {widths}"


async def test_the_dispatcher_plans_tomorrow_and_the_provider_and_customer_see_it(
    day, browser, live_server: LiveServer, artifacts: Path
) -> None:
    problems = Problems()
    world: World = day["world"]
    tablet = await browser.new_context(**TABLET)
    phone = await browser.new_context(**PHONE)
    customer_phone = await browser.new_context(**PHONE)
    try:
        # --- the dispatcher: one click plans tomorrow -----------------------------------------
        board = await open_as(tablet, live_server, day["dispatcher"])
        problems.watch(board)
        await board.goto(live_server.url("jiejia", "/admin/dispatch"))
        await expect(board.get_by_role("heading", name="调度看板")).to_be_visible()
        await expect(board.locator(".notice")).to_contain_text("这一天还没有排班计划")
        # Hold the plan request until the page has shown that it is working.
        release = asyncio.Event()

        async def hold(route: Route) -> None:
            await release.wait()
            await route.continue_()

        await board.route("**/admin/dispatch/plan", hold)
        button = board.get_by_role("button", name="排出当天路线")
        await button.click()
        busy = board.locator(".dp-plan-button")
        await expect(busy).to_be_disabled()
        await expect(busy).to_have_text("正在排线…")
        progress = board.locator(".dp-progress")
        await expect(progress).to_be_visible()
        await expect(progress).to_contain_text("正在为每位师傅排线，大约需要 5 秒。")
        await expect(progress.locator("progress")).not_to_have_attribute("value", "0")
        await board.screenshot(path=artifacts / "dispatch-planning.png", full_page=False)
        release.set()

        await expect(board.get_by_role("status").first).to_contain_text("已排好当天路线")
        await board.unroute("**/admin/dispatch/plan")
        totals = board.locator(".dp-totals")
        await expect(totals).to_contain_text("行驶里程")
        await expect(totals).to_contain_text("3 / 3")  # windows kept, of the jobs routed
        await expect(board.locator(".dp-map svg polyline")).to_have_count(2)
        await expect(board.locator(".dp-route")).to_have_count(2)
        await expect(board.get_by_role("button", name="重新排线")).to_be_enabled()
        await assert_fits_width(board)
        await board.screenshot(path=artifacts / "dispatch-board.png", full_page=True)

        # --- a job booked since the plan goes into the running day ------------------------
        await book(world, day["other"], "17:30", provider=day["li"], accept=True)
        await board.reload()
        waiting = board.locator(".dp-waiting li", has_text="深度保洁")
        await expect(board.get_by_role("heading", name="尚未排入计划")).to_be_visible()
        await waiting.get_by_role("button", name="插入当前计划").click()
        await expect(board.get_by_role("status").first).to_contain_text("已插入当前计划")
        await expect(board.locator(".dp-new")).to_have_count(1)
        await expect(board.get_by_role("heading", name="尚未排入计划")).to_have_count(0)
        await board.screenshot(path=artifacts / "dispatch-inserted.png", full_page=True)

        # --- the provider: tomorrow's route on a phone ------------------------------------
        route = await open_as(phone, live_server, day["provider"])
        problems.watch(route)
        await route.goto(live_server.url("jiejia", "/provider/jobs"))
        await route.get_by_role("link", name="我的路线").click()
        await expect(route.get_by_role("heading", name="我的路线")).to_be_visible()
        await route.get_by_role("link", name="明天").click()
        stops = route.locator(".dp-stops > li.dp-stop")
        await expect(stops).to_have_count(3)
        await expect(stops.nth(0)).to_contain_text("09:00")
        await expect(stops.nth(1)).to_contain_text("14:00")
        await expect(stops.nth(2)).to_contain_text("17:30")
        await expect(route.locator(".dp-map svg")).to_be_visible()
        nav = stops.nth(0).get_by_role("link", name="高德地图")
        assert (await nav.get_attribute("href") or "").startswith(
            "https://uri.amap.com/navigation?"
        )
        await expect(stops.nth(0).get_by_role("link", name="百度地图")).to_be_visible()
        await expect(stops.nth(2)).to_contain_text("锦绣路1001弄")
        await assert_fits_width(route)
        await route.screenshot(path=artifacts / "dispatch-provider-route.png", full_page=True)

        # --- the customer: the arrival window on the booking page ----------------------------
        mine = await open_as(customer_phone, live_server, day["customer"])
        problems.watch(mine)
        await mine.goto(live_server.url("jiejia", f"/bookings/{day['booking']}"))
        arrival = mine.locator(".dp-arrival")
        await expect(arrival).to_contain_text("预计上门")
        await expect(arrival).to_contain_text("09:00–10:00")
        await assert_fits_width(mine)
        await mine.screenshot(path=artifacts / "dispatch-arrival-window.png", full_page=True)
    finally:
        for context in (tablet, phone, customer_phone):
            await context.close()
    assert problems.found == []


async def test_the_board_fits_a_phone_without_sideways_scrolling(
    day, browser, live_server: LiveServer, artifacts: Path
) -> None:
    problems = Problems()
    world: World = day["world"]
    await plan(world)
    await book(world, day["other"], "17:30", provider=day["li"], accept=True)  # booked since
    phone = await browser.new_context(**PHONE)
    try:
        board = await open_as(phone, live_server, day["dispatcher"])
        problems.watch(board)
        await board.goto(live_server.url("jiejia", f"/admin/dispatch?day={world.local_day()}"))
        await expect(board.locator(".dp-route")).to_have_count(2)
        await expect(board.locator(".dp-map svg")).to_be_visible()
        await expect(board.get_by_role("button", name="插入当前计划")).to_be_visible()
        await board.screenshot(path=artifacts / "dispatch-board-phone.png", full_page=True)
        await assert_fits_width(board)
        map_box = await board.locator(".dp-map svg").bounding_box()
        assert map_box is not None and map_box["width"] <= PHONE["viewport"]["width"]  # type: ignore[index]
        # English words are longer: the board still fits
        await phone.add_cookies(
            [{"name": LANG_COOKIE, "value": "en", "url": live_server.url("jiejia")}]
        )
        await board.reload()
        await expect(
            board.get_by_role("button", name="Insert into the running plan")
        ).to_be_visible()
        await assert_fits_width(board)
        await board.screenshot(path=artifacts / "dispatch-board-phone-en.png", full_page=True)
    finally:
        await phone.close()
    assert problems.found == []
