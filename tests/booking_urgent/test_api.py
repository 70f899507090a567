"""Urgent requests and recurring series through API v1 (``requestUrgent``,
``getUrgentProgress``, ``createSeries``, ``getSeries``, ``cancelSeries``): a customer's app asks
for someone now and follows the search; another customer's objects are 404; every refusal
names its field.

The API runs on the wall clock, so the providers here work around the clock and the
time-outs are brought about by calling the worker job with a later ``now``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from litestar.testing import TestClient

from core.booking.cascade import expire_offers
from core.booking.service import OFFER_TIMED_OUT
from core.booking.tables import Booking, BookingSeries
from core.tenancy.scoped import tenant_transaction
from tests.booking.world import DEEP, NOWHERE, World, make_world

pytestmark = pytest.mark.db
DEEP_90 = {"item": DEEP, "tier": "deep", "intake": {"area_m2": 90}}
ALL_DAY = {day: ["00:00", "23:59"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@dataclass
class People:
    world: World
    customer: str
    other_customer: str
    near: str
    near_id: str
    far: str
    far_id: str
    admin: str


@pytest.fixture
async def people(db, settings, plugins, tenants) -> People:  # type: ignore[no-untyped-def]
    """王小明 (home in 浦东新区), 李秀英 1 km away, 赵敏 8 km away; both work all day."""
    world = await make_world(plugins, tenants, settings)
    customer = await world.customer()
    other = await world.person("13916285730", "李娜")
    near = await world.provider("李秀英", centre=(31.2100, 121.5400), hours=ALL_DAY)
    far = await world.provider("赵敏", centre=(31.2347, 121.4700), radius_km=12, hours=ALL_DAY)
    return People(
        world=world,
        customer=await world.token(customer),
        other_customer=await world.token(other),
        near=await world.token(await world.user_of(near)),
        near_id=near,
        far=await world.token(await world.user_of(far)),
        far_id=far,
        admin=await world.token(await world.staff()),
    )


@pytest.fixture
def api(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://jiejia.localhost") as client:
        yield client


def as_(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def fields(response: Any) -> list[str]:
    return [p["field"] for p in response.json()["problems"]]


async def time_out(world: World, seconds: int = 61) -> None:
    """The worker's pass, ``seconds`` from now."""
    later = datetime.now(UTC) + timedelta(seconds=seconds)
    await expire_offers(world.plugins, world.tenant, world.tenant_id, world.catalog, now=later)


async def count(world: World, table: Any) -> int:
    async with tenant_transaction(world.tenant_id):
        return int(await table.count())


# --- urgent -----------------------------------------------------------------------------------


async def test_an_urgent_request_goes_round_the_providers_and_the_customer_follows_it(
    people: People, api: TestClient
) -> None:
    world = people.world
    asked = api.post(
        "/api/v1/bookings/urgent",
        json={"items": [DEEP_90], "place": {"addressId": world.home_id}, "note": "水管爆了"},
        headers=as_(people.customer),
    )

    assert asked.status_code == 201, asked.text
    first = asked.json()
    assert (first["phase"], first["providersAsked"], first["radiusKm"]) == ("searching", 1, 3.0)
    assert first["widestRadiusKm"] == 12.0 and 55 <= first["secondsLeft"] <= 60
    assert first["provider"] is None and first["final"] is False
    assert people.near_id not in asked.text and people.far_id not in asked.text  # never who
    booking_id = first["bookingId"]
    followed = api.get(f"/api/v1/bookings/{booking_id}/progress", headers=as_(people.customer))
    assert followed.status_code == 200 and followed.json()["providersAsked"] == 1

    offer = api.get(f"/api/v1/bookings/{booking_id}", headers=as_(people.near))
    assert offer.status_code == 200 and offer.json()["nextActions"] == ["accepted", "declined"]
    # The customer's own view and list do not say who is being asked either.
    own = api.get(f"/api/v1/bookings/{booking_id}", headers=as_(people.customer))
    assert own.status_code == 200 and own.json()["providerId"] is None
    assert people.near_id not in own.text
    listed = api.get("/api/v1/bookings", headers=as_(people.customer))
    assert [b["providerId"] for b in listed.json()] == [None]
    probe = api.get(
        "/api/v1/bookings", params={"providerId": people.near_id}, headers=as_(people.customer)
    )
    assert probe.status_code == 200 and probe.json() == []

    await time_out(world)
    late = api.post(f"/api/v1/bookings/{booking_id}/accept", headers=as_(people.near))
    assert late.status_code == 409, late.text
    assert late.json()["problems"] == [{"field": "status", "reason": OFFER_TIMED_OUT}]

    wider = api.get(f"/api/v1/bookings/{booking_id}/progress", headers=as_(people.customer))
    assert (wider.json()["providersAsked"], wider.json()["radiusKm"]) == (2, 12.0)
    assert wider.json()["provider"] is None

    taken = api.post(f"/api/v1/bookings/{booking_id}/accept", headers=as_(people.far))
    assert taken.status_code == 200, taken.text
    found = api.get(f"/api/v1/bookings/{booking_id}/progress", headers=as_(people.customer))
    body = found.json()
    assert (body["phase"], body["status"]) == ("found", "accepted")
    assert body["provider"]["providerId"] == people.far_id
    assert body["provider"]["displayName"] == "赵阿姨"
    assert 40 <= body["etaMinutes"] <= 45
    own = api.get(f"/api/v1/bookings/{booking_id}", headers=as_(people.customer))
    assert own.json()["providerId"] == people.far_id  # accepted: now the customer knows


async def test_only_its_customer_follows_an_urgent_request(people: People, api: TestClient) -> None:
    world = people.world
    made = api.post(
        "/api/v1/bookings/urgent",
        json={"items": [DEEP_90], "place": {"addressId": world.home_id}},
        headers=as_(people.customer),
    )
    booking_id = made.json()["bookingId"]

    for token in (people.other_customer, people.near):
        found = api.get(f"/api/v1/bookings/{booking_id}/progress", headers=as_(token))
        assert found.status_code == 404, found.text
    assert (
        api.get(f"/api/v1/bookings/{booking_id}/progress", headers=as_(people.admin)).status_code
        == 200
    )
    booked = api.post(
        "/api/v1/bookings",
        json={
            "items": [DEEP_90],
            "place": {"addressId": world.home_id},
            "startsAt": world.tomorrow_at("14:00").isoformat(),
        },
        headers=as_(people.customer),
    )
    assert booked.status_code == 201, booked.text
    not_urgent = api.get(
        f"/api/v1/bookings/{booked.json()['id']}/progress", headers=as_(people.customer)
    )
    assert not_urgent.status_code == 404


async def test_bad_urgent_requests_are_refused_naming_the_field_and_store_nothing(
    people: People, api: TestClient
) -> None:
    world = people.world
    nowhere = await world.address(world.customer_id, "乡下", NOWHERE)
    cases = [
        ({"place": {"addressId": world.home_id}}, 400, ["items"]),
        (
            {
                "items": [{**DEEP_90, "item": "housekeeping.moon"}],
                "place": {"addressId": world.home_id},
            },
            400,
            ["items[0].item"],
        ),
        ({"items": [DEEP_90], "place": {"addressId": nowhere}}, 400, ["place.address"]),
        ({"items": [DEEP_90], "place": {}}, 400, ["place.addressId"]),
    ]
    for body, status, named in cases:
        refused = api.post("/api/v1/bookings/urgent", json=body, headers=as_(people.customer))
        assert refused.status_code == status, (body, refused.text)
        assert fields(refused) == named, (body, refused.text)
    staff = api.post(
        "/api/v1/bookings/urgent",
        json={"items": [DEEP_90], "place": {"addressId": world.home_id}},
        headers=as_(people.admin),
    )
    assert staff.status_code == 403
    assert await count(world, Booking) == 0


# --- series -----------------------------------------------------------------------------------


def first_visit(api: TestClient, people: People) -> dict[str, Any]:
    made = api.post(
        "/api/v1/bookings",
        json={
            "items": [DEEP_90],
            "place": {"addressId": people.world.home_id},
            "startsAt": people.world.tomorrow_at("14:00").isoformat(),
            "providerId": people.near_id,
        },
        headers=as_(people.customer),
    )
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


async def test_a_customer_repeats_a_booking_weekly_and_ends_the_series(
    people: People, api: TestClient
) -> None:
    booking = first_visit(api, people)

    made = api.post(
        "/api/v1/series",
        json={"bookingId": booking["id"], "cadence": "weekly", "visits": 3},
        headers=as_(people.customer),
    )

    assert made.status_code == 201, made.text
    series = made.json()
    assert (series["cadence"], series["status"], series["providerId"]) == (
        "weekly",
        "active",
        people.near_id,
    )
    assert series["visits"][0]["bookingId"] == booking["id"]
    assert len(series["visits"]) + len(series["skipped"]) == 3
    starts = [datetime.fromisoformat(v["startsAt"]) for v in series["visits"]]
    assert all(b - a in {timedelta(days=7), timedelta(days=14)} for a, b in pairwise(starts))
    shown = api.get(f"/api/v1/series/{series['id']}", headers=as_(people.customer))
    assert shown.status_code == 200 and shown.json() == series

    for token in (people.other_customer, people.near):
        assert api.get(f"/api/v1/series/{series['id']}", headers=as_(token)).status_code == 404
        assert api.delete(f"/api/v1/series/{series['id']}", headers=as_(token)).status_code == 404

    ended = api.delete(f"/api/v1/series/{series['id']}", headers=as_(people.customer))
    assert ended.status_code == 200, ended.text
    body = ended.json()
    assert body["series"]["status"] == "ended"
    assert sorted(body["cancelled"]) == sorted(v["bookingId"] for v in series["visits"])
    assert body["kept"] == []
    assert {v["status"] for v in body["series"]["visits"]} == {"cancelled"}


async def test_a_new_series_can_be_booked_in_one_call(people: People, api: TestClient) -> None:
    world = people.world
    made = api.post(
        "/api/v1/series",
        json={
            "cadence": "fortnightly",
            "visits": 2,
            "items": [DEEP_90],
            "place": {"addressId": world.home_id},
            "startsAt": world.tomorrow_at("10:00").isoformat(),
        },
        headers=as_(people.customer),
    )

    assert made.status_code == 201, made.text
    visits = made.json()["visits"]
    assert len(visits) == 2
    gap = datetime.fromisoformat(visits[1]["startsAt"]) - datetime.fromisoformat(
        visits[0]["startsAt"]
    )
    assert gap == timedelta(days=14)


async def test_bad_series_requests_are_refused_naming_the_field(
    people: People, api: TestClient
) -> None:
    world = people.world
    booking = first_visit(api, people)
    cases = [
        ({"bookingId": booking["id"], "cadence": "daily", "visits": 3}, 400, ["cadence"]),
        ({"bookingId": booking["id"], "cadence": "weekly", "visits": 1}, 400, ["visits"]),
        ({"bookingId": booking["id"], "cadence": "weekly", "visits": 30}, 400, ["visits"]),
        ({"bookingId": "not-an-id", "cadence": "weekly", "visits": 3}, 400, ["bookingId"]),
        ({"cadence": "weekly", "visits": 3}, 400, ["items", "place", "startsAt"]),
        ({"bookingId": booking["id"], "cadence": "weekly"}, 400, ["visits"]),
    ]
    for body, status, named in cases:
        refused = api.post("/api/v1/series", json=body, headers=as_(people.customer))
        assert refused.status_code == status, (body, refused.text)
        assert fields(refused) == named, (body, refused.text)
    others = api.post(
        "/api/v1/series",
        json={"bookingId": booking["id"], "cadence": "weekly", "visits": 3},
        headers=as_(people.other_customer),
    )
    assert others.status_code == 404
    assert await count(world, BookingSeries) == 0
    assert await count(world, Booking) == 1


def test_the_operations_have_stable_camel_case_ids(api: TestClient) -> None:
    schema = api.get("/schema/openapi.json").json()
    found = {
        op["operationId"]: (method.upper(), path)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    }

    assert found["requestUrgent"] == ("POST", "/api/v1/bookings/urgent")
    assert found["getUrgentProgress"] == ("GET", "/api/v1/bookings/{booking_id}/progress")
    assert found["createSeries"] == ("POST", "/api/v1/series")
    assert found["getSeries"] == ("GET", "/api/v1/series/{series_id}")
    assert found["cancelSeries"] == ("DELETE", "/api/v1/series/{series_id}")
