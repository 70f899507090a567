"""Dispatch API v1, as an agency's apps use it: the dispatcher plans tomorrow, reads the plan
back and slots in an urgent job; the provider reads the route (addresses and navigate points
only for jobs that are theirs); the customer reads the arrival window. Each operation for its
own roles only; bad input is a 400 naming the field; another tenant's booking is a 404."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from core.booking import service as booking
from core.booking.service import Actor
from core.booking.states import CUSTOMER
from core.dispatch import service
from core.dispatch.geo import wgs84_to_gcj02
from core.dispatch.tables import DispatchPlan
from core.providers.tables import ProviderProfile
from core.tenancy.scoped import scoped, tenant_transaction
from tests.booking.world import HOME, World, make_world
from tests.dispatch.test_pages import book, plan, routed

pytestmark = pytest.mark.db
PLANS = "/api/v1/dispatch/plans"
MY_ROUTE = "/api/v1/dispatch/my-route"
ELSEWHERE = (31.2200, 121.5300)
"""Where 李娜 lives (another customer's address, near 李秀英)."""


@dataclass
class Tokens:
    world: World
    customer: str
    other: str
    provider: str
    rival: str
    dispatcher: str
    admin: str
    support: str
    customer_id: str
    other_id: str
    provider_id: str
    rival_id: str

    @property
    def day(self) -> str:
        return self.world.local_day().isoformat()


@pytest.fixture
def api(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://jiejia.localhost") as made:
        yield made


@pytest.fixture
async def people(db, settings, plugins, tenants) -> Tokens:  # type: ignore[no-untyped-def]
    world = await make_world(plugins, tenants, settings)
    customer = await world.customer()
    other = await world.person("13916285730", "李娜")
    near = await world.provider("李秀英", centre=(31.2100, 121.5400))
    rival = await world.provider("赵敏", centre=(31.2347, 121.4700), radius_km=12)
    return Tokens(
        world=world,
        customer=await world.token(customer),
        other=await world.token(other),
        provider=await world.token(await world.user_of(near)),
        rival=await world.token(await world.user_of(rival)),
        dispatcher=await world.token(await world.staff("d@jiejia.example", ("dispatcher",))),
        admin=await world.token(await world.staff()),
        support=await world.token(await world.staff("s@jiejia.example", ("support",))),
        customer_id=customer,
        other_id=other,
        provider_id=near,
        rival_id=rival,
    )


def as_(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def field_of(response: Any) -> str:
    return str(response.json()["problems"][0]["field"])


def stops_of(plan_out: dict[str, Any]) -> dict[str, str]:
    return {s["job"]["bookingId"]: r["providerId"] for r in plan_out["routes"] for s in r["stops"]}


async def plan_count(world: World) -> int:
    async with tenant_transaction(world.tenant_id):
        return await scoped(DispatchPlan, world.tenant_id).count()


async def test_the_dispatcher_plans_tomorrow_and_reads_the_plan_back(
    people: Tokens, api: TestClient
) -> None:
    world = people.world
    mine = await book(world, people.customer_id, "10:00", provider=people.provider_id, accept=True)
    theirs = await book(world, people.other_id, "14:00", provider=people.rival_id, accept=True)
    stranded = await book(world, people.other_id, "18:30", provider=people.rival_id)
    async with tenant_transaction(world.tenant_id):  # 赵敏 took the day off after the booking
        await (
            scoped(ProviderProfile, world.tenant_id)
            .update({ProviderProfile.days_off: [people.day]})
            .where(ProviderProfile.id == people.rival_id)
        )

    made = api.post(PLANS, json={"date": people.day}, headers=as_(people.dispatcher))
    read = api.get(PLANS, params={"date": people.day}, headers=as_(people.admin))

    assert made.status_code == 201, made.text
    out = made.json()
    assert out["planned"] is True and out["date"] == people.day and out["area"] == ""
    assert stops_of(out) == {mine: people.provider_id}
    assert out["routes"][0]["providerName"] == "李阿姨"
    assert moment(out["routes"][0]["stops"][0]["startAt"]) == world.tomorrow_at("10:00")
    reasons = {w["job"]["bookingId"]: w["reason"] for w in out["unassigned"]}
    assert reasons == {theirs: "no_shift", stranded: "no_shift"}  # listed, not dropped
    assert out["totals"]["routed"] == 1 and out["totals"]["unassigned"] == 2
    assert out["totals"]["windowsKept"] == 1
    assert HOME not in made.text  # staff see the district, never the address
    assert read.status_code == 200
    assert read.json()["planId"] == out["planId"]
    assert read.json()["routes"] == out["routes"]


async def test_a_day_without_a_plan_lists_its_open_jobs(people: Tokens, api: TestClient) -> None:
    world = people.world
    job = await book(world, people.customer_id, "10:00", provider=people.provider_id)

    read = api.get(PLANS, params={"date": people.day}, headers=as_(people.dispatcher)).json()

    assert read["planned"] is False and read["planId"] is None and read["totals"] is None
    assert [w["job"]["bookingId"] for w in read["unplanned"]] == [job]


async def test_only_dispatchers_and_admins_plan_and_only_providers_have_a_route(
    people: Tokens, api: TestClient
) -> None:
    world = people.world
    job = await book(world, people.customer_id, "10:00", provider=people.provider_id, accept=True)
    body = {"date": people.day}
    insert = f"/api/v1/dispatch/bookings/{job}/insert"

    for token in (people.customer, people.provider, people.support):
        assert api.post(PLANS, json=body, headers=as_(token)).status_code == 403
        assert api.get(PLANS, params=body, headers=as_(token)).status_code == 403
        assert api.post(insert, headers=as_(token)).status_code == 403
    for token in (people.customer, people.dispatcher, people.admin):
        refused = api.get(MY_ROUTE, params=body, headers=as_(token))
        assert refused.status_code == 403
        assert refused.json()["detail"] == "only providers have a route"
    assert api.post(PLANS, json=body).status_code == 401
    assert api.get(MY_ROUTE).status_code == 401
    assert await plan_count(world) == 0


async def test_a_date_that_is_not_a_date_is_a_400_naming_date(
    people: Tokens, api: TestClient
) -> None:
    dispatcher, provider = as_(people.dispatcher), as_(people.provider)

    refused = [
        api.post(PLANS, json={"date": "2026-13-40"}, headers=dispatcher),
        api.post(PLANS, json={"date": "tomorrow", "area": "静安区"}, headers=dispatcher),
        api.post(PLANS, json={"area": "静安区"}, headers=dispatcher),
        api.get(PLANS, params={"date": "soon"}, headers=dispatcher),
        api.get(PLANS, headers=dispatcher),
        api.get(MY_ROUTE, params={"date": "2026-02-30"}, headers=provider),
    ]

    assert [r.status_code for r in refused] == [400] * len(refused)
    assert [field_of(r) for r in refused] == ["date"] * len(refused)
    assert "2026-03-11" in refused[0].json()["problems"][0]["reason"]
    junk = api.post(PLANS, json={"date": people.day, "shift": "x"}, headers=dispatcher)
    assert junk.status_code == 400 and field_of(junk) == "shift"
    assert await plan_count(people.world) == 0


async def test_an_urgent_job_is_inserted_and_everyone_else_keeps_their_place(
    people: Tokens, api: TestClient
) -> None:
    world = people.world
    first = await book(world, people.customer_id, "09:00", provider=people.provider_id, accept=True)
    second = await book(world, people.other_id, "15:00", provider=people.rival_id, accept=True)
    before = await plan(world)
    urgent = await book(world, people.customer_id, "12:00", point=(31.2090, 121.5450))

    done = api.post(f"/api/v1/dispatch/bookings/{urgent}/insert", headers=as_(people.dispatcher))

    assert done.status_code == 200, done.text
    out = done.json()
    assert out["planId"] != before["id"] and out["unplanned"] == []
    after = stops_of(out)
    assert urgent in after
    assert {k: v for k, v in after.items() if k != urgent} == routed(before)
    assert {first, second} <= set(after)


async def test_inserting_a_booking_no_longer_open_is_a_409(people: Tokens, api: TestClient) -> None:
    world = people.world
    job = await book(world, people.customer_id, "10:00", provider=people.provider_id, accept=True)
    await plan(world)
    async with tenant_transaction(world.tenant_id):
        await booking.transition(
            world.tenant, world.tenant_id, job, "cancelled", Actor(CUSTOMER, people.customer_id)
        )

    refused = api.post(f"/api/v1/dispatch/bookings/{job}/insert", headers=as_(people.dispatcher))

    assert refused.status_code == 409
    assert field_of(refused) == "bookingId"
    assert "open for planning" in refused.json()["detail"]


async def test_an_urgent_job_goes_into_its_districts_own_plan(
    people: Tokens, api: TestClient
) -> None:
    world = people.world
    await book(world, people.customer_id, "09:00", provider=people.provider_id, accept=True)
    district = await plan(world, "浦东新区")
    urgent = await book(world, people.other_id, "13:00", point=(31.2090, 121.5450))

    done = api.post(f"/api/v1/dispatch/bookings/{urgent}/insert", headers=as_(people.dispatcher))

    assert done.status_code == 200, done.text
    assert done.json()["area"] == "浦东新区" and urgent in stops_of(done.json())
    async with tenant_transaction(world.tenant_id):
        city = await service.stored_plan(world.tenant_id, world.local_day())
        now = await service.stored_plan(world.tenant_id, world.local_day(), "浦东新区")
    assert city is None  # the district's plan took it; no whole-city plan was made
    assert now is not None and now["id"] != district["id"]


async def test_another_tenants_booking_is_not_found(
    people: Tokens, api: TestClient, plugins, tenants, settings
) -> None:
    other = await make_world(plugins, tenants, settings, "wanjia")
    customer = await other.customer(phone="13905710123", name="欧阳娜娜")
    await other.provider("钱芳", centre=(30.2741, 120.1551))
    theirs = await book(other, customer, "10:00", point=(30.2741, 120.1551))
    await plan(other)

    insert = api.post(f"/api/v1/dispatch/bookings/{theirs}/insert", headers=as_(people.admin))
    arrival = api.get(f"/api/v1/bookings/{theirs}/arrival", headers=as_(people.admin))
    read = api.get(PLANS, params={"date": people.day}, headers=as_(people.admin))

    assert insert.status_code == arrival.status_code == 404
    assert field_of(insert) == "bookingId"
    assert theirs not in insert.text and theirs not in read.text
    assert read.json()["planned"] is False
    assert await plan_count(people.world) == 0


async def test_the_provider_sees_addresses_only_of_the_jobs_that_are_theirs(
    people: Tokens, api: TestClient
) -> None:
    world = people.world
    accepted = await book(
        world, people.customer_id, "10:00", provider=people.provider_id, accept=True
    )
    offered = await book(  # offered to her, not accepted yet: planned for her all the same
        world, people.other_id, "14:00", provider=people.provider_id, point=ELSEWHERE
    )
    await plan(world)

    mine = api.get(MY_ROUTE, params={"date": people.day}, headers=as_(people.provider))
    rival = api.get(MY_ROUTE, params={"date": people.day}, headers=as_(people.rival))

    assert mine.status_code == 200, mine.text
    out = mine.json()
    assert out["planned"] is True
    stops = {s["bookingId"]: s for s in out["stops"]}
    assert [s["bookingId"] for s in out["stops"]] == [accepted, offered]
    assert [s["seq"] for s in out["stops"]] == [1, 2]
    yours, not_yet = stops[accepted], stops[offered]
    assert yours["confirmed"] is True and yours["address"] == HOME
    assert moment(yours["startAt"]) == world.tomorrow_at("10:00")
    lat, lng = wgs84_to_gcj02(31.2060, 121.5520)
    assert (yours["navigate"]["lat"], yours["navigate"]["lng"]) == (round(lat, 6), round(lng, 6))
    assert yours["navigate"]["amap"].startswith("https://uri.amap.com/navigation?")
    assert not_yet["confirmed"] is False and not_yet["district"] == "浦东新区"
    assert not_yet["address"] is None and not_yet["navigate"] is None
    g_lat, g_lng = wgs84_to_gcj02(*ELSEWHERE)
    assert f"{g_lat:.4f}" not in mine.text and f"{g_lng:.4f}" not in mine.text
    assert f"{ELSEWHERE[0]:.4f}" not in mine.text
    assert rival.status_code == 200
    assert rival.json()["stops"] == [] and accepted not in rival.text and HOME not in rival.text


async def test_the_customer_reads_the_arrival_window_of_their_booking(
    people: Tokens, api: TestClient
) -> None:
    world = people.world
    mine = await book(world, people.customer_id, "10:00", provider=people.provider_id, accept=True)
    path = f"/api/v1/bookings/{mine}/arrival"
    before = api.get(path, headers=as_(people.customer)).json()
    await plan(world)

    after = api.get(path, headers=as_(people.customer))

    assert before == {"bookingId": mine, "startAt": None, "endAt": None, "minutes": None}
    assert after.status_code == 200
    window = after.json()
    assert window["startAt"] is not None and window["minutes"] > 0
    assert moment(window["startAt"]) == world.tomorrow_at("10:00")  # never before the time booked
    assert moment(window["endAt"]) > world.tomorrow_at("10:00")
    assert api.get(path, headers=as_(people.other)).status_code == 404
    assert api.get(path, headers=as_(people.provider)).status_code == 200
