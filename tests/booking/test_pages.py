"""The booking pages, in Chinese: the customer's book step and booking page, the provider's job
feed and job page, the admin's board. Forms carry their page's CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import TestClient

from core.booking.tables import Booking
from core.privacy.tables import PersonalDataRead
from core.tenancy.scoped import tenant_transaction
from tests.booking.world import DEEP, HOME, HOME_POINT, NOWHERE, World, make_world

pytestmark = pytest.mark.db
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
BOOK = "/book/housekeeping/home_cleaning"
DEEP_90 = "tier=deep&area_m2=90"


class Browser:
    """One person on jiejia, signed in with their session cookie (or signed out). The people
    share one test client; each request carries its person's cookie."""

    def __init__(self, client: TestClient, session: str | None = None) -> None:
        self.client = client
        self.session = session

    def _as_me(self) -> None:
        self.client.cookies.delete("doorstep_session")
        if self.session:
            self.client.cookies.set("doorstep_session", self.session, domain="jiejia.localhost")

    def get(self, path: str, **kwargs: Any) -> Any:
        self._as_me()
        return self.client.get(path, **kwargs)

    def post(self, page: str, action: str, data: dict[str, Any] | None = None) -> Any:
        """Open ``page``, then post ``data`` to ``action`` with that page's CSRF token."""
        found = CSRF.search(self.get(page).text)
        assert found, f"{page} has no form"
        self._as_me()
        return self.client.post(
            action, data={"_csrf_token": found.group(1), **(data or {})}, follow_redirects=False
        )


@dataclass
class Cast:
    world: World
    client: TestClient
    customer: Browser
    other: Browser
    provider: Browser
    provider_id: str
    rival_id: str
    admin: Browser
    visitor: Browser


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://jiejia.localhost") as made:
        yield made


@pytest.fixture
async def cast(db, settings, plugins, tenants, client) -> Cast:  # type: ignore[no-untyped-def]
    world = await make_world(plugins, tenants, settings)
    customer = await world.customer()
    other = await world.person("13916285730", "李娜")
    near = await world.provider("李秀英", centre=(31.2100, 121.5400))
    far = await world.provider("赵敏", centre=(31.2347, 121.4700), radius_km=12)
    admin = await world.staff()
    return Cast(
        world=world,
        client=client,
        customer=Browser(client, await world.session(customer)),
        other=Browser(client, await world.session(other)),
        provider=Browser(client, await world.session(await world.user_of(near))),
        provider_id=near,
        rival_id=far,
        admin=Browser(client, await world.session(admin)),
        visitor=Browser(client),
    )


def shows(html: str, *texts: str) -> None:
    """Each text is on the page (a short message when not, instead of the whole page)."""
    missing = [text for text in texts if text not in html]
    assert not missing, f"not on the page: {missing}"


def choose(world: World, **more: str) -> str:
    query = f"{BOOK}?{DEEP_90}&address={world.home_id}&day={world.local_day()}"
    return query + "".join(f"&{k}={v}" for k, v in more.items())


def book(cast: Cast, provider: str = "best") -> str:
    world = cast.world
    start = world.tomorrow_at("14:00").isoformat()
    page = choose(world, start=start.replace("+", "%2B"))
    done = cast.customer.post(
        page,
        BOOK,
        {
            "tier": "deep",
            "area_m2": "90",
            "address": world.home_id,
            "day": str(world.local_day()),
            "start": start,
            "provider": provider,
        },
    )
    assert done.status_code == 303, done.text
    found = re.fullmatch(r"/bookings/([0-9a-f-]{36})\?done=booked", done.headers["location"])
    assert found, done.headers["location"]
    return found.group(1)


# --- the customer's book step ---------------------------------------------------------------


async def test_the_service_page_leads_to_the_book_step_with_the_answers(cast: Cast) -> None:
    page = cast.customer.get("/services/housekeeping/home_cleaning")

    assert 'action="/book/housekeeping/home_cleaning"' in page.text
    assert "选择时间并预约" in page.text


async def test_the_book_step_shows_addresses_days_times_and_providers_on_one_page(
    cast: Cast,
) -> None:
    world = cast.world
    first = cast.customer.get(f"{BOOK}?{DEEP_90}&day={world.local_day()}")
    start = world.tomorrow_at("14:00").isoformat().replace("+", "%2B")
    chosen = cast.customer.get(choose(world, start=start))

    assert first.status_code == 200
    html = first.text
    shows(html, "预约全屋保洁", "深度保洁", "房屋面积 90 平方米")
    shows(html, "家", "锦绣路1001弄", "公司", "明天", "今天")
    assert re.search(r"<b>14:00</b><small>2 位可约</small>", html)
    assert "¥810.00" in html
    assert re.search(r'<button type="submit" class="button bk-confirm" disabled>', html)
    picked = chosen.text
    assert "系统优选" in picked
    assert "李阿姨" in picked and "赵阿姨" in picked
    assert f'href="/providers/{cast.provider_id}"' in picked
    assert "查看主页" in picked and "公里" in picked
    assert re.search(r'<button type="submit" class="button bk-confirm">', picked)


async def test_a_choice_refreshes_only_the_choices(cast: Cast) -> None:
    part = cast.customer.get(choose(cast.world, partial="1"))

    assert part.status_code == 200
    assert "<html" not in part.text and 'name="start"' in part.text


async def test_booking_on_the_page_lands_on_its_status_page(cast: Cast) -> None:
    booking_id = book(cast)
    page = cast.customer.get(f"/bookings/{booking_id}?done=booked")

    assert page.status_code == 200
    html = page.text
    assert "预约成功" in html
    assert "待接单" in html and "等待 李阿姨 接单。" in html
    assert HOME in html and "¥810.00" in html
    assert re.search(r'class="bk-step-done".*已下单', html, re.S)
    assert "现在取消不收费。" in html
    mine = cast.customer.get("/bookings")
    assert f"/bookings/{booking_id}" in mine.text and "即将进行" in mine.text


async def test_the_customer_can_pick_a_provider(cast: Cast) -> None:
    booking_id = book(cast, provider=cast.rival_id)
    async with tenant_transaction(cast.world.tenant_id):
        row = await Booking.select(Booking.provider).where(Booking.id == booking_id).first()
    assert row is not None and str(row["provider"]) == cast.rival_id


async def test_an_address_outside_every_service_area_is_named(cast: Cast) -> None:
    world = cast.world
    far_away = await world.address(world.customer_id, "父母家", NOWHERE)

    page = cast.customer.get(f"{BOOK}?{DEEP_90}&address={far_away}&day={world.local_day()}")

    assert page.status_code == 200
    assert "该地址暂不在服务范围内" in page.text
    assert 'name="start"' not in page.text


async def test_a_time_just_taken_is_refused_on_the_page(cast: Cast) -> None:
    book(cast, provider=cast.provider_id)
    world = cast.world
    start = world.tomorrow_at("14:00").isoformat()
    again = cast.customer.post(
        choose(world),
        BOOK,
        {
            "tier": "deep",
            "area_m2": "90",
            "address": world.home_id,
            "day": str(world.local_day()),
            "start": start,
            "provider": cast.provider_id,
        },
    )

    assert again.status_code == 409
    assert "这位服务者该时间无法上门，请换个时间" in again.text


async def test_signed_out_visitors_sign_in_first_and_staff_cannot_book(cast: Cast) -> None:
    visitor = cast.visitor.get(f"{BOOK}?{DEEP_90}", follow_redirects=False)
    staff = cast.admin.get(f"{BOOK}?{DEEP_90}")

    assert visitor.status_code in (302, 303)
    assert visitor.headers["location"].startswith("/signin?next=%2Fbook%2Fhousekeeping")
    assert staff.status_code == 404


# --- following, cancelling, moving, reviewing ---------------------------------------------------


async def test_the_status_part_follows_the_provider(cast: Cast) -> None:
    booking_id = book(cast)
    before = cast.customer.get(f"/bookings/{booking_id}/live").json()

    cast.provider.post(f"/provider/jobs/{booking_id}", f"/provider/jobs/{booking_id}/accept")
    after = cast.customer.get(f"/bookings/{booking_id}/live").json()

    assert before["status"] == "offered" and after["status"] == "accepted"
    assert after["version"] > before["version"]
    assert "李阿姨 将于" in after["html"] and "<html" not in after["html"]
    assert after["final"] is False


async def test_another_customers_booking_is_404(cast: Cast) -> None:
    booking_id = book(cast)

    assert cast.other.get(f"/bookings/{booking_id}").status_code == 404
    assert cast.other.get(f"/bookings/{booking_id}/live").status_code == 404
    refused = cast.other.post("/bookings", f"/bookings/{booking_id}/cancel")
    assert refused.status_code == 404
    assert cast.customer.get(f"/bookings/{booking_id}/live").json()["status"] == "offered"


async def test_cancelling_shows_the_fee_first_then_cancels(cast: Cast) -> None:
    booking_id = book(cast)
    page = f"/bookings/{booking_id}"

    assert "免费取消" in cast.customer.get(page).text
    done = cast.customer.post(page, f"{page}/cancel", {"reason": "临时有事"})

    assert done.status_code == 303 and done.headers["location"] == f"{page}?done=cancelled"
    after = cast.customer.get(done.headers["location"]).text
    assert "已取消，未收取费用。" in after and "取消预约" not in after.split("bk-head")[1]


async def test_the_customer_moves_the_booking_within_the_policy(cast: Cast) -> None:
    booking_id = book(cast)
    page = f"/bookings/{booking_id}"
    day_after = cast.world.local_day(2)

    moved = cast.customer.post(page, f"{page}/reschedule", {"start": f"{day_after}T09:00"})
    night = cast.customer.post(page, f"{page}/reschedule", {"start": f"{day_after}T23:00"})

    assert moved.status_code == 303
    assert "预约时间已修改。" in cast.customer.get(moved.headers["location"]).text
    assert night.status_code == 400
    assert "不在服务时间内：请选择 08:00 至 21:00 之间的时间。" in night.text


async def test_after_completion_the_customer_reviews_once(cast: Cast) -> None:
    booking_id = book(cast)
    job = f"/provider/jobs/{booking_id}"
    for action, data in [
        ("accept", None),
        ("travel", None),
        ("arrive", {"lat": str(HOME_POINT[0]), "lng": str(HOME_POINT[1])}),
        ("start", None),
        ("complete", None),
    ]:
        assert cast.provider.post(job, f"{job}/{action}", data).status_code == 303, action
    page = f"/bookings/{booking_id}"

    form = cast.customer.get(page).text
    sent = cast.customer.post(
        page, f"{page}/review", {"rating": "5", "text": "非常仔细", "tag": ["on_time", "tidy"]}
    )
    again = cast.customer.post(page, f"{page}/review", {"rating": "1"})

    assert "服务怎么样？" in form and "服务已完成。" in form
    assert sent.status_code == 303
    shown = cast.customer.get(sent.headers["location"]).text
    assert "感谢您的评价！" in shown and "非常仔细" in shown
    assert "准时守约" in shown and "收拾整洁" in shown
    assert again.status_code == 409 and "您已评价过这个预约" in again.text
    profile = cast.visitor.get(f"/providers/{cast.provider_id}")
    assert profile.status_code == 200 and "非常仔细" in profile.text


# --- the provider's jobs ---------------------------------------------------------------------


async def test_the_provider_sees_the_offer_with_its_expiry_and_their_own_explanation(
    cast: Cast,
) -> None:
    booking_id = book(cast)

    feed = cast.provider.get("/provider/jobs").text
    job = cast.provider.get(f"/provider/jobs/{booking_id}").text

    assert "新派单" in feed and "请在" in feed and "前答复" in feed
    assert f'action="/provider/jobs/{booking_id}/accept"' in feed
    assert "浦东新区" in job and "（接单后显示详细地址）" in job and "锦绣路" not in job
    assert "为什么派给您" in job and "路程时间" in job and "今日接单量" in job
    assert ">接单<" in job and ">拒绝<" in job and "出发上门" not in job


async def test_accepting_reveals_the_address_and_the_read_is_audited(cast: Cast) -> None:
    booking_id = book(cast)
    job = f"/provider/jobs/{booking_id}"

    accepted = cast.provider.post(job, f"{job}/accept")
    page = cast.provider.get(accepted.headers["location"]).text

    assert accepted.status_code == 303
    assert HOME in page and "出发上门" in page and ">接单<" not in page
    async with tenant_transaction(cast.world.tenant_id):
        reads = await PersonalDataRead.select().where(PersonalDataRead.field == "booking.address")
    assert reads and all(r["actor_role"] == "provider" for r in reads)
    assert str(reads[0]["actor_id"]) == await cast.world.user_of(cast.provider_id)


async def test_arriving_far_from_the_door_is_refused_with_the_distance(cast: Cast) -> None:
    booking_id = book(cast)
    job = f"/provider/jobs/{booking_id}"
    cast.provider.post(job, f"{job}/accept")
    cast.provider.post(job, f"{job}/travel")

    far = cast.provider.post(
        job, f"{job}/arrive", {"lat": str(HOME_POINT[0] + 0.01), "lng": str(HOME_POINT[1])}
    )
    blind = cast.provider.post(job, f"{job}/arrive", {"lat": "", "lng": ""})

    assert far.status_code == 400
    assert re.search(r"您距离服务地址 11\d\d 米，需在 300 米以内才能打卡。", far.text)
    assert blind.status_code == 400 and "请开启定位后再打卡" in blind.text
    assert "到达打卡" in cast.provider.get(job).text


async def test_only_the_assigned_provider_has_the_job(cast: Cast) -> None:
    booking_id = book(cast)

    assert cast.customer.get("/provider/jobs").status_code == 404
    assert cast.admin.get("/provider/jobs").status_code == 404
    rival = cast.provider.get(f"/provider/jobs/{booking_id}")
    assert rival.status_code == 200
    stolen = cast.other.get(f"/provider/jobs/{booking_id}")
    assert stolen.status_code == 404


async def test_declining_goes_back_to_the_feed(cast: Cast) -> None:
    booking_id = book(cast)
    job = f"/provider/jobs/{booking_id}"

    declined = cast.provider.post(job, f"{job}/decline")

    assert declined.status_code == 303
    assert declined.headers["location"] == "/provider/jobs?done=declined"
    assert "已拒绝该派单。" in cast.provider.get(declined.headers["location"]).text
    customer = cast.customer.get(f"/bookings/{booking_id}").text
    assert "服务者未能接单，请另选时间或服务者。" in customer


# --- the admin's board -------------------------------------------------------------------------


async def test_the_admin_board_filters_and_explains_the_ranking(cast: Cast) -> None:
    booking_id = book(cast)
    world = cast.world

    board = cast.admin.get("/admin/bookings")
    by_day = cast.admin.get(f"/admin/bookings?day={world.local_day()}&status=offered")
    other_day = cast.admin.get(f"/admin/bookings?day={world.local_day(3)}")
    by_rival = cast.admin.get(f"/admin/bookings?provider={cast.rival_id}")
    one = cast.admin.get(f"/admin/bookings/{booking_id}")

    assert board.status_code == 200 and f"/admin/bookings/{booking_id}" in board.text
    assert 'href="/admin/bookings"' in board.text  # the console nav
    assert f"/admin/bookings/{booking_id}" in by_day.text
    assert f"/admin/bookings/{booking_id}" not in other_day.text
    assert f"/admin/bookings/{booking_id}" not in by_rival.text
    html = one.text
    assert "状态记录" in html and "已提交" in html and "待接单" in html
    assert "候选服务者排名" in html and "路程时间" in html and "权重" in html
    assert html.index("李阿姨") < html.index("赵阿姨")
    assert "浦东新区" in html and "锦绣路" not in html


async def test_the_board_is_for_staff_only(cast: Cast) -> None:
    assert cast.customer.get("/admin/bookings").status_code == 403
    assert cast.visitor.get("/admin/bookings", follow_redirects=False).status_code in (302, 303)
    assert cast.admin.get(f"/admin/bookings/{DEEP}").status_code == 404


async def test_the_pages_speak_english_too(cast: Cast) -> None:
    booking_id = book(cast)
    cast.client.cookies.set("doorstep_lang", "en", domain="jiejia.localhost")
    try:
        step = cast.customer.get(choose(cast.world)).text
        status = cast.customer.get(f"/bookings/{booking_id}").text
        job = cast.provider.get(f"/provider/jobs/{booking_id}").text
    finally:
        cast.client.cookies.delete("doorstep_lang")

    shows(step, "Book Whole-home cleaning", "Start time", "1 free", "Confirm booking")
    shows(status, "Waiting for the provider", "Cancelling now is free.", "Sent to the provider")
    shows(job, "Why this offer came to you", "Travel time", "Accept", "Decline")
