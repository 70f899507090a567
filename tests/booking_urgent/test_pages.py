"""The urgent and series pages, in Chinese: "as soon as possible" from the service page, the
live search (how many were asked, how far, the countdown; then the provider with photo and
arrival time, or "book a time instead"), and the weekly opt-in on a booking."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from core.booking.cascade import expire_offers
from core.booking.service import Actor, transition
from core.booking.states import PROVIDER
from core.booking.tables import Booking
from core.tenancy.scoped import tenant_transaction
from tests.booking.world import World, make_world

pytestmark = pytest.mark.db
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
ASAP = "/urgent/housekeeping/home_cleaning"
DEEP_90 = "tier=deep&area_m2=90"
ALL_DAY = {day: ["00:00", "23:59"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


class Browser:
    """One person on jiejia, signed in with their session cookie. The people share one test
    client (several clients in one test do not shut down cleanly); each request carries its
    person's cookie."""

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
    customer: Browser
    other: Browser
    near_id: str
    far_id: str


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://jiejia.localhost") as made:
        yield made


@pytest.fixture
async def cast(db, settings, plugins, tenants, client) -> Cast:  # type: ignore[no-untyped-def]
    world = await make_world(plugins, tenants, settings)
    customer = await world.customer()
    other = await world.person("13916285730", "李娜")
    near = await world.provider("李秀英", centre=(31.2100, 121.5400), hours=ALL_DAY)
    far = await world.provider("赵敏", centre=(31.2347, 121.4700), radius_km=12, hours=ALL_DAY)
    return Cast(
        world=world,
        customer=Browser(client, await world.session(customer)),
        other=Browser(client, await world.session(other)),
        near_id=near,
        far_id=far,
    )


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def time_out(world: World, seconds: int = 61) -> None:
    later = datetime.now(UTC) + timedelta(seconds=seconds)
    await expire_offers(world.plugins, world.tenant, world.tenant_id, world.catalog, now=later)


def ask(cast: Cast) -> str:
    """The customer asks for someone now; returns the search page's address."""
    page = f"{ASAP}?{DEEP_90}"
    sent = cast.customer.post(
        page, ASAP, {"tier": "deep", "area_m2": "90", "address": cast.world.home_id}
    )
    assert sent.status_code == 303, sent.text
    location = sent.headers["location"]
    assert re.fullmatch(r"/urgent/requests/[0-9a-f-]{36}", location)
    return str(location)


async def test_the_service_page_offers_as_soon_as_possible(cast: Cast) -> None:
    service = cast.customer.get("/services/housekeeping/home_cleaning")
    assert 'formaction="/urgent/housekeeping/home_cleaning"' in service.text
    assert "立即上门" in service.text

    form = cast.customer.get(f"{ASAP}?{DEEP_90}")
    assert form.status_code == 200
    words = text(form.text)
    assert "立即找师傅" in words and "家" in words
    assert "每位有 60 秒时间接单" in words and "最远 12 公里" in words


async def test_the_customer_watches_the_search_without_a_reload(cast: Cast) -> None:
    world = cast.world
    page = ask(cast)

    shown = cast.customer.get(page)
    assert shown.status_code == 200
    words = text(shown.text)
    assert "正在为您联系附近的师傅…" in words
    assert "已联系 1 位，搜索范围 3 公里内" in words
    assert "等待师傅回应，还剩" in words and 'class="ur-countdown"' in shown.text
    assert "李阿姨" not in words and cast.near_id not in shown.text  # never who
    assert 'src="/static/core/urgent-live.js"' in shown.text

    await time_out(world)
    live = cast.customer.get(f"{page}/live")
    assert live.status_code == 200
    body = live.json()
    assert (body["phase"], body["asked"], body["radiusKm"], body["final"]) == (
        "searching",
        2,
        12.0,
        False,
    )
    assert "已联系 2 位，搜索范围扩大到 12 公里" in text(body["html"])
    assert "赵阿姨" not in text(body["html"])

    booking_id = page.rsplit("/", 1)[1]
    await transition(
        world.tenant,
        world.tenant_id,
        booking_id,
        "accepted",
        Actor(PROVIDER, provider_id=cast.far_id),
    )
    found = cast.customer.get(f"{page}/live").json()
    assert found["phase"] == "found"
    words = text(found["html"])
    assert "赵阿姨 已接单，马上出发。" in words
    assert "预计" in words and "上门（约" in words
    assert f'href="/bookings/{booking_id}"' in found["html"]
    assert 'class="bk-face' in found["html"]  # the photo (or its initial)

    booking_page = cast.customer.get(f"/bookings/{booking_id}")
    assert "赵阿姨" in text(booking_page.text)


async def test_nobody_nearby_tells_the_customer_to_book_a_time_instead(cast: Cast) -> None:
    world = cast.world
    page = ask(cast)
    await time_out(world)
    await time_out(world, 122)

    live = cast.customer.get(f"{page}/live").json()

    assert (live["phase"], live["final"]) == ("unanswered", True)
    words = text(live["html"])
    assert "附近暂时没有师傅能马上上门。" in words
    assert "我们联系了 2 位师傅，最远到 12 公里" in words
    assert 'href="/book/housekeeping/home_cleaning?tier=deep&amp;area_m2=90' in live["html"]


async def test_another_customer_cannot_see_the_search(cast: Cast) -> None:
    page = ask(cast)

    assert cast.other.get(page).status_code == 404
    assert cast.other.get(f"{page}/live").status_code == 404


async def test_stopping_the_search_is_free(cast: Cast) -> None:
    page = ask(cast)
    booking_id = page.rsplit("/", 1)[1]

    stopped = cast.customer.post(page, f"/bookings/{booking_id}/cancel", {"reason": ""})

    assert stopped.status_code == 303, stopped.text
    async with tenant_transaction(cast.world.tenant_id):
        row = await Booking.select().where(Booking.id == booking_id).first()
    assert row is not None
    assert (row["status"], row["cancellation_fee_fen"]) == ("cancelled", 0)
    live = cast.customer.get(f"{page}/live").json()
    assert (live["phase"], live["final"]) == ("cancelled", True)
    words = text(cast.customer.get(f"/bookings/{booking_id}").text)
    assert "已取消，未收取费用。" in words
    assert "李阿姨" not in words  # asked, never accepted: not named


async def test_an_address_nobody_serves_is_said_on_the_form(cast: Cast) -> None:
    world = cast.world
    nowhere = await world.address(world.customer_id, "乡下", "上海市松江区人民北路2000号 1室")
    sent = cast.customer.post(
        f"{ASAP}?{DEEP_90}", ASAP, {"tier": "deep", "area_m2": "90", "address": nowhere}
    )
    assert sent.status_code == 400
    assert "立即找师傅" in text(sent.text)


# --- series ---------------------------------------------------------------------------------


async def test_a_booking_is_repeated_weekly_from_its_page_and_the_series_ended(
    cast: Cast,
) -> None:
    world = cast.world
    booked = cast.customer.post(
        f"/book/housekeeping/home_cleaning?{DEEP_90}",
        "/book/housekeeping/home_cleaning",
        {
            "tier": "deep",
            "area_m2": "90",
            "address": world.home_id,
            "start": world.tomorrow_at("14:00").isoformat(),
            "provider": cast.near_id,
        },
    )
    assert booked.status_code == 303, booked.text
    booking_page = booked.headers["location"]
    booking_id = booking_page.split("/")[2].split("?")[0]
    confirmation = cast.customer.get(booking_page)
    assert f'href="/series/new?booking={booking_id}"' in confirmation.text
    assert "设为每周或每两周一次" in text(confirmation.text)

    form_page = f"/series/new?booking={booking_id}"
    form = cast.customer.get(form_page)
    assert form.status_code == 200 and "每周一次" in text(form.text)
    assert cast.other.get(form_page).status_code == 404

    refused = cast.customer.post(
        form_page, "/series/new", {"booking": booking_id, "cadence": "daily", "visits": "3"}
    )
    assert refused.status_code == 400
    assert "请选择每周或每两周一次" in text(refused.text)

    made = cast.customer.post(
        form_page, "/series/new", {"booking": booking_id, "cadence": "weekly", "visits": "3"}
    )
    assert made.status_code == 303, made.text
    series_page = made.headers["location"]
    assert series_page.endswith("?done=created")
    shown = cast.customer.get(series_page)
    words = text(shown.text)
    assert "定期服务已预约：共 3 次。" in words and "已预约的上门" in words
    assert shown.text.count('href="/bookings/') == 3
    assert cast.other.get(series_page.split("?")[0]).status_code == 404
    assert "每周一次" in text(cast.customer.get("/series/").text)

    ended = cast.customer.post(series_page, f"{series_page.split('?')[0]}/cancel")
    assert ended.status_code == 303
    after = text(cast.customer.get(ended.headers["location"]).text)
    assert "定期服务已结束" in after and "已结束" in after
