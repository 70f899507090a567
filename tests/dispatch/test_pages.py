"""The day plan on screen, in Chinese: the dispatcher's board (plan, re-plan, insert a job), the
provider's route with its map and navigate links, the customer's arrival window. Each page for
its own people only; another tenant's plan and bookings are never found."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar.testing import TestClient

from core.booking import creation
from core.booking import service as booking
from core.booking.service import Actor, BookingRequest, ItemRequest
from core.booking.states import PROVIDER
from core.dispatch import service
from core.dispatch.geo import wgs84_to_gcj02
from core.dispatch.tables import DispatchPlan
from core.dispatch.views import arrival_window
from core.providers.tables import ProviderProfile
from core.tenancy.scoped import scoped, tenant_transaction
from core.web.tenant import LANG_COOKIE
from tests.booking.test_pages import Browser
from tests.booking.world import DEEP, HOME, HOME_POINT, World, make_world
from tests.tenant_access import all_tenants

pytestmark = pytest.mark.db
BOARD = "/admin/dispatch"


@dataclass
class Day:
    world: World
    customer: Browser
    other: Browser
    provider: Browser
    rival: Browser
    dispatcher: Browser
    support: Browser
    provider_id: str
    rival_id: str
    customer_id: str
    other_id: str

    @property
    def day(self) -> str:
        return self.world.local_day().isoformat()


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://jiejia.localhost") as made:
        yield made


@pytest.fixture
async def cast(db, settings, plugins, tenants, client) -> Day:  # type: ignore[no-untyped-def]
    world = await make_world(plugins, tenants, settings)
    customer = await world.customer()
    other = await world.person("13916285730", "李娜")
    near = await world.provider("李秀英", centre=(31.2100, 121.5400))
    rival = await world.provider("赵敏", centre=(31.2347, 121.4700), radius_km=12)
    dispatcher = await world.staff("dispatch@jiejia.example", ("dispatcher",))
    support = await world.staff("support@jiejia.example", ("support",))
    return Day(
        world=world,
        customer=Browser(client, await world.session(customer)),
        other=Browser(client, await world.session(other)),
        provider=Browser(client, await world.session(await world.user_of(near))),
        rival=Browser(client, await world.session(await world.user_of(rival))),
        dispatcher=Browser(client, await world.session(dispatcher)),
        support=Browser(client, await world.session(support)),
        provider_id=near,
        rival_id=rival,
        customer_id=customer,
        other_id=other,
    )


async def book(
    world: World,
    customer: str,
    hhmm: str,
    *,
    provider: str | None = None,
    point: tuple[float, float] = HOME_POINT,
    district: str = "浦东新区",
    accept: bool = False,
) -> str:
    request = BookingRequest(
        items=[ItemRequest(DEEP, "deep", {"area_m2": 20})],
        starts_at=world.tomorrow_at(hhmm),
        address=HOME,
        point=point,
        district=district,
        provider_id=provider,
    )
    async with tenant_transaction(world.tenant_id):
        made = await creation.create_booking(
            world.plugins, world.tenant, world.tenant_id, world.catalog, customer, request,
            now=world.now,
        )  # fmt: skip
    if accept:
        async with tenant_transaction(world.tenant_id):
            row = await booking.load(world.tenant_id, made)
        pid = str(row["provider"])
        actor = Actor(PROVIDER, await world.user_of(pid), pid)
        async with tenant_transaction(world.tenant_id):
            await booking.transition(world.tenant, world.tenant_id, made, "accepted", actor)
    return made


async def plan(world: World, area: str = "") -> dict:  # type: ignore[type-arg]
    tools = service.adapters(world.plugins, world.tenant)
    return await service.plan_day(
        world.tenant, world.tenant_id, world.local_day(), tools, area=area, now=world.now
    )


def routed(stored: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {s["job"]: r["provider"] for r in stored["routes"] for s in r["stops"] if s["job"]}


def shows(html: str, *texts: str) -> None:
    missing = [text for text in texts if text not in html]
    assert not missing, f"not on the page: {missing}"


# --- the dispatcher's board ---------------------------------------------------------------


async def test_the_dispatcher_plans_tomorrow_with_one_click_and_sees_every_route(
    cast: Day,
) -> None:
    world = cast.world
    mine = await book(world, cast.customer_id, "10:00", provider=cast.provider_id, accept=True)
    theirs = await book(world, cast.other_id, "14:00", provider=cast.rival_id)

    before = cast.dispatcher.get(BOARD)
    done = cast.dispatcher.post(BOARD, f"{BOARD}/plan", {"day": cast.day, "area": ""})
    after = cast.dispatcher.get(done.headers["location"])

    assert before.status_code == 200
    shows(before.text, "调度看板", "这一天还没有排班计划", "排出当天路线", "明天")
    assert done.status_code == 303
    location = urlsplit(done.headers["location"])
    assert location.path == BOARD
    assert parse_qs(location.query) == {"day": [cast.day], "done": ["planned"]}
    async with tenant_transaction(world.tenant_id):
        stored = await service.stored_plan(world.tenant_id, world.local_day())
    assert stored is not None
    assert routed(stored) == {mine: cast.provider_id, theirs: cast.rival_id}
    html = after.text
    shows(html, "已排好当天路线", "重新排线", "行驶里程", "空闲时间", "守约时段", "2 / 2")
    shows(html, "李阿姨", "赵阿姨", "<svg", "深度保洁")
    assert html.count("<polyline") == 2  # one line per provider, on one map
    assert "锦绣路" not in html  # staff see the district, not the address
    shows(html, "1 单")
    cast.dispatcher.client.cookies.set(LANG_COOKIE, "en", domain="jiejia.localhost")
    english = cast.dispatcher.get(done.headers["location"]).text
    shows(english, "Jobs: 1")
    assert "1 jobs" not in english  # one job is not "jobs"


async def test_one_district_is_planned_on_its_own(cast: Day) -> None:
    world = cast.world
    east = await book(world, cast.customer_id, "10:00", provider=cast.provider_id, accept=True)
    west = await book(
        world, cast.other_id, "11:00", provider=cast.rival_id, point=(31.2300, 121.4800),
        district="静安区", accept=True,
    )  # fmt: skip

    choices = cast.dispatcher.get(f"{BOARD}?day={cast.day}").text
    done = cast.dispatcher.post(BOARD, f"{BOARD}/plan", {"day": cast.day, "area": "静安区"})

    assert '<option value="静安区">' in choices and '<option value="浦东新区">' in choices
    assert parse_qs(urlsplit(done.headers["location"]).query)["area"] == ["静安区"]
    async with tenant_transaction(world.tenant_id):
        district = await service.stored_plan(world.tenant_id, world.local_day(), "静安区")
        city = await service.stored_plan(world.tenant_id, world.local_day())
    assert district is not None and city is None
    assert routed(district) == {west: cast.rival_id}
    html = cast.dispatcher.get(done.headers["location"]).text
    shows(html, "已排好当天路线", "1 / 1")
    assert east not in html


async def test_a_job_nobody_can_take_is_listed_with_its_reason(cast: Day) -> None:
    world = cast.world
    await book(world, cast.customer_id, "10:00", provider=cast.provider_id)
    async with tenant_transaction(world.tenant_id):  # she took the day off after it was booked
        await (
            scoped(ProviderProfile, world.tenant_id)
            .update({ProviderProfile.days_off: [cast.day]})
            .where(ProviderProfile.id == cast.provider_id)
        )
    await plan(world)

    html = cast.dispatcher.get(f"{BOARD}?day={cast.day}").text

    shows(html, "无人可接", "客户选择的师傅当天不上班。")


async def test_an_urgent_job_goes_into_the_running_plan_and_the_rest_stays(cast: Day) -> None:
    world = cast.world
    first = await book(world, cast.customer_id, "09:00", provider=cast.provider_id, accept=True)
    second = await book(world, cast.other_id, "15:00", provider=cast.rival_id, accept=True)
    before = await plan(world)
    urgent = await book(world, cast.customer_id, "12:00", point=(31.2090, 121.5450))

    board = cast.dispatcher.get(f"{BOARD}?day={cast.day}").text
    done = cast.dispatcher.post(
        f"{BOARD}?day={cast.day}", f"{BOARD}/insert", {"booking_id": urgent, "day": cast.day}
    )

    shows(board, "尚未排入计划", "插入当前计划")
    assert f'name="booking_id" value="{urgent}"' in board
    assert done.status_code == 303
    assert parse_qs(urlsplit(done.headers["location"]).query)["job"] == [urgent]
    async with tenant_transaction(world.tenant_id):
        after = await service.stored_plan(world.tenant_id, world.local_day())
    assert after is not None and after["id"] != before["id"]
    assert routed(after) | {urgent: ""} == routed(before) | {urgent: ""}  # nobody else moved
    assert urgent in routed(after)
    assert {first, second} <= set(routed(after))
    page = cast.dispatcher.get(done.headers["location"]).text
    shows(page, "已插入当前计划", 'class="dp-new"')
    assert "尚未排入计划" not in page


async def test_a_job_goes_into_the_running_plan_of_its_district(cast: Day) -> None:
    world = cast.world
    first = await book(world, cast.customer_id, "09:00", provider=cast.provider_id, accept=True)
    before = await plan(world, "浦东新区")
    urgent = await book(world, cast.other_id, "13:00", point=(31.2090, 121.5450))
    page = f"{BOARD}?day={cast.day}&area=浦东新区"

    board = cast.dispatcher.get(page).text
    done = cast.dispatcher.post(
        page, f"{BOARD}/insert", {"booking_id": urgent, "day": cast.day, "area": "浦东新区"}
    )

    shows(board, "尚未排入计划", "插入当前计划", 'name="area" value="浦东新区"')
    assert done.status_code == 303
    assert parse_qs(urlsplit(done.headers["location"]).query) == {
        "day": [cast.day], "area": ["浦东新区"], "done": ["inserted"], "job": [urgent],
    }  # fmt: skip
    async with tenant_transaction(world.tenant_id):
        after = await service.stored_plan(world.tenant_id, world.local_day(), "浦东新区")
        city = await service.stored_plan(world.tenant_id, world.local_day())
    assert city is None
    assert after is not None and after["id"] != before["id"]
    assert routed(after)[first] == routed(before)[first] and urgent in routed(after)
    shows(cast.dispatcher.get(done.headers["location"]).text, "已插入当前计划", 'class="dp-new"')


async def test_a_job_of_another_district_is_not_put_into_a_districts_plan(cast: Day) -> None:
    world = cast.world
    await book(world, cast.customer_id, "09:00", provider=cast.provider_id, accept=True)
    before = await plan(world, "浦东新区")
    west = await book(
        world, cast.other_id, "13:00", provider=cast.rival_id, point=(31.2300, 121.4800),
        district="静安区",
    )  # fmt: skip

    refused = cast.dispatcher.post(
        f"{BOARD}?day={cast.day}&area=浦东新区",
        f"{BOARD}/insert",
        {"booking_id": west, "day": cast.day, "area": "浦东新区"},
    )

    assert refused.status_code == 400
    async with tenant_transaction(world.tenant_id):
        after = await service.stored_plan(world.tenant_id, world.local_day(), "浦东新区")
    assert after is not None and after["id"] == before["id"]


async def test_inserting_the_same_job_twice_keeps_everyone_else_in_place(cast: Day) -> None:
    world = cast.world
    jobs = [
        await book(world, cast.customer_id, hhmm, provider=cast.provider_id, accept=True)
        for hhmm in ("08:30", "17:30")
    ]
    urgent = await book(
        world, cast.other_id, "13:00", provider=cast.provider_id, point=(31.2090, 121.5450)
    )
    await plan(world)
    tools = service.adapters(world.plugins, world.tenant)
    async with tenant_transaction(world.tenant_id):
        once = await service.insert_urgent_booking(
            world.tenant, world.tenant_id, urgent, tools, now=world.now
        )
        twice = await service.insert_urgent_booking(  # a second click on a stale board
            world.tenant, world.tenant_id, urgent, tools, now=world.now
        )

    assert twice["unassigned"] == []
    assert routed(twice) == routed(once)
    assert all(routed(twice)[j] == cast.provider_id for j in jobs)


async def test_only_dispatchers_and_admins_see_the_board(cast: Day) -> None:
    assert cast.support.get(BOARD).status_code == 403
    assert cast.customer.get(BOARD).status_code == 403
    assert cast.provider.get(BOARD).status_code == 403
    refused = cast.customer.post("/bookings", f"{BOARD}/plan", {"day": cast.day})
    assert refused.status_code in (403, 404)
    async with tenant_transaction(cast.world.tenant_id):
        assert await scoped(DispatchPlan, cast.world.tenant_id).count() == 0
    signed_out = Browser(cast.dispatcher.client).get(BOARD, follow_redirects=False)
    assert signed_out.status_code in (302, 303)
    assert signed_out.headers["location"].startswith("/staff/signin")


async def test_a_date_that_is_not_a_date_is_named(cast: Day) -> None:
    board = cast.dispatcher.get(f"{BOARD}?day=2026-13-40")
    planned = cast.dispatcher.post(BOARD, f"{BOARD}/plan", {"day": "tomorrow"})
    route = cast.provider.get("/provider/route?day=soon")

    for page in (board, planned, route):
        assert page.status_code == 400
        shows(page.text, "请按 2026-03-11 的格式选择日期。")
    async with tenant_transaction(cast.world.tenant_id):
        assert await scoped(DispatchPlan, cast.world.tenant_id).count() == 0


# --- the provider's route -------------------------------------------------------------------


async def test_the_provider_sees_the_day_in_order_with_a_map_and_navigate_links(
    cast: Day,
) -> None:
    world = cast.world
    late = await book(world, cast.customer_id, "15:00", provider=cast.provider_id, accept=True)
    early = await book(
        world, cast.other_id, "09:00", provider=cast.provider_id, point=(31.2200, 121.5300),
        accept=True,
    )  # fmt: skip
    await plan(world)

    page = cast.provider.get(f"/provider/route?day={cast.day}")
    jobs = cast.provider.get("/provider/jobs").text

    assert page.status_code == 200
    html = page.text
    shows(html, "我的路线", "调度已于", "<svg", "高德地图", "百度地图", "苹果地图", HOME)
    assert html.index(f"/provider/jobs/{early}") < html.index(f"/provider/jobs/{late}")
    assert re.search(r"<strong>09:00</strong>", html) and re.search(r"<strong>15:00</strong>", html)
    lat, lng = wgs84_to_gcj02(*HOME_POINT)
    assert f"to={lng:.6f}%2C{lat:.6f}" in html  # Amap gets GCJ-02, not the stored WGS-84
    assert f"{HOME_POINT[1]:.6f}%2C{HOME_POINT[0]:.6f}" not in html
    assert 'href="/provider/route"' in jobs


async def test_without_a_plan_the_route_is_the_jobs_in_booked_order(cast: Day) -> None:
    world = cast.world
    await book(world, cast.customer_id, "11:00", provider=cast.provider_id, accept=True)

    html = cast.provider.get(f"/provider/route?day={cast.day}").text
    cast.provider.client.cookies.set(LANG_COOKIE, "en", domain="jiejia.localhost")
    english = cast.provider.get(f"/provider/route?day={cast.day}").text

    shows(html, "还没有调度计划：按预约时间排列。", "<strong>11:00</strong>", "高德地图")
    shows(english, "My route", "No day plan yet: your jobs in booked order.", "Amap")


async def test_a_provider_never_sees_another_providers_stops(cast: Day) -> None:
    world = cast.world
    theirs = await book(world, cast.customer_id, "10:00", provider=cast.provider_id, accept=True)
    await plan(world)

    html = cast.rival.get(f"/provider/route?day={cast.day}").text

    shows(html, "这一天没有工作。")
    assert theirs not in html and HOME not in html
    assert cast.customer.get("/provider/route").status_code == 404  # not a provider


# --- the customer's arrival window ------------------------------------------------------------


async def test_the_customer_sees_an_arrival_window_that_narrows_as_the_day_goes(
    cast: Day,
) -> None:
    world = cast.world
    mine = await book(world, cast.customer_id, "10:00", provider=cast.provider_id, accept=True)
    without = cast.customer.get(f"/bookings/{mine}").text
    await plan(world)

    page = cast.customer.get(f"/bookings/{mine}")
    async with tenant_transaction(world.tenant_id):
        eve = await arrival_window(world.tenant_id, mine, "accepted", world.tomorrow_at("08:00"))
        soon = await arrival_window(world.tenant_id, mine, "accepted", world.tomorrow_at("09:45"))

    assert "预计上门" not in without
    assert page.status_code == 200
    shows(page.text, "预计上门", "10:00–11:00")  # never before the time booked
    assert eve is not None and soon is not None
    assert soon.minutes < eve.minutes <= 120
    assert eve.start == soon.start == world.tomorrow_at("10:00") < soon.end < eve.end
    assert cast.other.get(f"/bookings/{mine}").status_code == 404


async def test_another_tenants_plan_and_bookings_are_never_found(
    cast: Day, plugins, tenants, settings
) -> None:
    world = cast.world
    await book(world, cast.customer_id, "10:00", provider=cast.provider_id, accept=True)
    await plan(world)
    other = await make_world(plugins, tenants, settings, "wanjia")
    customer = await other.customer(phone="13905710123", name="欧阳娜娜")
    await other.provider("钱芳", centre=(30.2741, 120.1551))
    theirs = await book(other, customer, "10:00", point=(30.2741, 120.1551))
    their_plan = await plan(other)

    board = cast.dispatcher.get(f"{BOARD}?day={cast.day}").text
    stranger = cast.dispatcher.post(
        BOARD, f"{BOARD}/insert", {"booking_id": theirs, "day": cast.day}
    )
    unknown = cast.dispatcher.post(
        BOARD, f"{BOARD}/insert", {"booking_id": "7d0f3a52-1c1e-4c43-9a55-1c3f2b1f0e11"}
    )

    assert their_plan["id"] not in board and theirs not in board
    assert stranger.status_code == unknown.status_code == 400
    shows(stranger.text, "这不是本平台的订单。")
    assert theirs not in stranger.text
    async with all_tenants():
        rows = await DispatchPlan.select().where(DispatchPlan.tenant == other.tenant_id)
    assert [str(r["id"]) for r in rows] == [their_plan["id"]]


def test_two_stops_at_one_address_both_show_on_the_map() -> None:
    from xml.etree import ElementTree

    from core.dispatch.geo import MapRoute, route_svg

    home, door = (31.2100, 121.5400), HOME_POINT
    svg = ElementTree.fromstring(route_svg([MapRoute(points=[home, door, door, home])]))
    ns = "{http://www.w3.org/2000/svg}"
    circles = svg.findall(f"{ns}circle")

    assert [t.text for t in svg.findall(f"{ns}text")] == ["1", "2"]
    assert len({(c.get("cx"), c.get("cy")) for c in circles}) == 2
