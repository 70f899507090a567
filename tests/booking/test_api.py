"""Booking API v1: a customer books through an app, the provider takes the job from offer to
completion, the customer reviews; every refusal is a 4xx naming its field or reason, and
changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from core.booking.tables import Booking, BookingTransition, Review
from core.privacy.tables import PersonalDataRead
from core.tenancy.scoped import tenant_transaction
from tests.booking.world import DEEP, HOME, HOME_POINT, NOWHERE, World, make_world

pytestmark = pytest.mark.db
DEEP_90 = {"item": DEEP, "tier": "deep", "intake": {"area_m2": 90}}


@dataclass
class People:
    world: World
    customer: str
    """Tokens, by who holds them."""
    other_customer: str
    provider: str
    provider_id: str
    rival: str
    rival_id: str
    admin: str


@pytest.fixture
async def people(db, settings, plugins, tenants) -> People:  # type: ignore[no-untyped-def]
    """王小明 (home in 浦东新区), 李秀英 next to it, 赵敏 6 km away, and an admin."""
    world = await make_world(plugins, tenants, settings)
    customer = await world.customer()
    other = await world.person("13916285730", "李娜")
    near = await world.provider("李秀英", centre=(31.2100, 121.5400))
    far = await world.provider("赵敏", centre=(31.2347, 121.4700), radius_km=12)
    admin = await world.staff()
    return People(
        world=world,
        customer=await world.token(customer),
        other_customer=await world.token(other),
        provider=await world.token(await world.user_of(near)),
        provider_id=near,
        rival=await world.token(await world.user_of(far)),
        rival_id=far,
        admin=await world.token(admin),
    )


@pytest.fixture
def api(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://jiejia.localhost") as client:
        yield client


def as_(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def booking_body(world: World, **changes: Any) -> dict[str, Any]:
    body = {
        "items": [DEEP_90],
        "place": {"addressId": world.home_id},
        "startsAt": world.tomorrow_at("14:00").isoformat(),
    }
    return {**body, **changes}


def book(api: TestClient, people: People, **changes: Any) -> dict[str, Any]:
    made = api.post(
        "/api/v1/bookings", json=booking_body(people.world, **changes), headers=as_(people.customer)
    )
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


async def counts(world: World) -> tuple[int, int]:
    async with tenant_transaction(world.tenant_id):
        return await Booking.count(), await BookingTransition.count()


# --- the whole journey ------------------------------------------------------------------


async def test_a_customer_books_deep_cleaning_and_the_provider_takes_it_to_completion(
    people: People, api: TestClient
) -> None:
    world = people.world
    slots = api.post(
        "/api/v1/slots",
        json={**DEEP_90, "place": {"addressId": world.home_id}, "day": str(world.local_day())},
        headers=as_(people.customer),
    )
    assert slots.status_code == 200, slots.text
    open_times = {s["startsAt"]: s["providers"] for s in slots.json()["slots"]}
    two_pm = world.tomorrow_at("14:00")
    assert slots.json()["durationMinutes"] == 60 + 90 * 3
    assert open_times[two_pm.isoformat().replace("+00:00", "Z")] == 2

    found = api.post(
        "/api/v1/providers/search",
        json={**DEEP_90, "place": {"addressId": world.home_id}, "start": two_pm.isoformat()},
        headers=as_(people.customer),
    )
    assert found.status_code == 200, found.text
    ranked = found.json()["candidates"]
    assert [c["providerId"] for c in ranked] == [people.provider_id, people.rival_id]
    assert ranked[0]["displayName"] == "李阿姨" and ranked[0]["distanceKm"] < 2
    assert found.json()["totalFen"] == 90 * 900

    booking = book(api, people)
    assert booking["status"] == "offered" and booking["providerId"] == people.provider_id
    assert booking["totalFen"] == 81000 and booking["district"] == "浦东新区"
    assert booking["address"] == HOME  # the customer's own address
    assert booking["nextActions"] == ["cancelled"]
    assert booking["cancellation"]["feeFen"] == 0
    path = f"/api/v1/bookings/{booking['id']}"

    offer = api.get(path, headers=as_(people.provider)).json()
    assert offer["role"] == "provider" and offer["nextActions"] == ["accepted", "declined"]
    assert offer["address"] is None and offer["district"] == "浦东新区"

    for action, status in [("accept", "accepted"), ("travel", "en_route")]:
        moved = api.post(f"{path}/{action}", headers=as_(people.provider))
        assert moved.status_code == 200, moved.text
        assert moved.json()["status"] == status
    arrived = api.post(
        f"{path}/check-in",
        json={"position": {"lat": HOME_POINT[0] + 0.001, "lng": HOME_POINT[1]}},
        headers=as_(people.provider),
    )
    assert arrived.status_code == 200, arrived.text
    for action, status in [("start", "in_progress"), ("complete", "completed")]:
        moved = api.post(f"{path}/{action}", headers=as_(people.provider))
        assert moved.status_code == 200, moved.text
        assert moved.json()["status"] == status

    seen = api.get(path, headers=as_(people.customer)).json()
    assert [s["status"] for s in seen["timeline"]] == ["done"] * 6 + ["current"]
    assert all(s["at"] for s in seen["timeline"])
    assert seen["canReview"] is True

    review = api.post(
        f"{path}/review",
        json={"rating": 5, "text": "很仔细，厨房油污都清干净了", "tags": ["准时", "细致"]},
        headers=as_(people.customer),
    )
    assert review.status_code == 201, review.text
    again = api.get(path, headers=as_(people.customer)).json()
    assert again["review"]["rating"] == 5 and again["review"]["tags"] == ["准时", "细致"]
    assert again["canReview"] is False

    mine = api.get("/api/v1/bookings", headers=as_(people.customer)).json()
    assert [b["id"] for b in mine] == [booking["id"]]
    jobs = api.get("/api/v1/bookings", headers=as_(people.provider)).json()
    assert [b["id"] for b in jobs] == [booking["id"]]
    assert api.get("/api/v1/bookings", headers=as_(people.rival)).json() == []


# --- who sees what ---------------------------------------------------------------------------


async def test_explanations_go_to_staff_and_to_each_provider_about_themselves(
    people: People, api: TestClient
) -> None:
    world = people.world
    body = {
        **DEEP_90,
        "place": {"address": HOME},
        "start": world.tomorrow_at("10:00").isoformat(),
    }

    customer = api.post("/api/v1/providers/search", json=body, headers=as_(people.customer))
    staff = api.post("/api/v1/providers/search", json=body, headers=as_(people.admin))
    rival = api.post("/api/v1/providers/search", json=body, headers=as_(people.rival))

    assert [c["explanation"] for c in customer.json()["candidates"]] == [None, None]
    assert [c["score"] for c in customer.json()["candidates"]] == [None, None]
    ranked = staff.json()["candidates"]
    assert [c["providerId"] for c in ranked] == [people.provider_id, people.rival_id]
    factors = ranked[0]["explanation"]["factors"]
    assert [f["name"] for f in factors] == [
        "travel",
        "rating",
        "quality",
        "reliability",
        "fairness",
    ]
    assert ranked[0]["score"] == pytest.approx(sum(f["points"] for f in factors) / 100, abs=0.01)
    assert ranked[0]["score"] > ranked[1]["score"]
    own = rival.json()["candidates"]
    assert [c["providerId"] for c in own] == [people.rival_id]
    assert own[0]["explanation"]["factors"][0]["name"] == "travel"


async def test_the_provider_sees_the_district_until_accepting_then_the_address_audited(
    people: People, api: TestClient
) -> None:
    booking = book(api, people)
    path = f"/api/v1/bookings/{booking['id']}"
    world = people.world

    before = api.get(path, headers=as_(people.provider)).json()
    async with tenant_transaction(world.tenant_id):
        reads_before = await PersonalDataRead.count().where(
            PersonalDataRead.field == "booking.address"
        )
    accepted = api.post(f"{path}/accept", headers=as_(people.provider)).json()

    assert before["address"] is None and before["district"] == "浦东新区"
    assert reads_before == 0
    assert accepted["address"] == HOME
    async with tenant_transaction(world.tenant_id):
        reads = await PersonalDataRead.select().where(PersonalDataRead.field == "booking.address")
    assert len(reads) == 1
    assert str(reads[0]["actor_id"]) == await world.user_of(people.provider_id)
    assert reads[0]["actor_role"] == "provider"
    staff = api.get(path, headers=as_(people.admin)).json()
    assert staff["address"] is None and staff["district"] == "浦东新区"
    assert [t["toState"] for t in staff["transitions"]] == ["offered", "accepted"]


async def test_another_customers_booking_is_404_and_stays_as_it_was(
    people: People, api: TestClient
) -> None:
    booking = book(api, people)
    path = f"/api/v1/bookings/{booking['id']}"

    assert api.get(path, headers=as_(people.other_customer)).status_code == 404
    assert api.post(f"{path}/cancel", headers=as_(people.other_customer)).status_code == 404
    assert api.post(f"{path}/accept", headers=as_(people.rival)).status_code == 404
    assert (
        api.get(f"/api/v1/bookings/{uuid.uuid4()}", headers=as_(people.customer)).status_code == 404
    )
    assert api.get("/api/v1/bookings/not-a-booking", headers=as_(people.customer)).status_code in (
        400,
        404,
    )
    assert api.get("/api/v1/bookings", headers=as_(people.other_customer)).json() == []
    assert api.get(path, headers=as_(people.customer)).json()["status"] == "offered"


async def test_signed_out_callers_get_401(people: People, api: TestClient) -> None:
    assert api.get("/api/v1/bookings").status_code == 401
    assert api.post("/api/v1/bookings", json=booking_body(people.world)).status_code == 401


# --- bad input: a clear 4xx, nothing changes ---------------------------------------------------


@pytest.mark.parametrize(
    ("case", "status", "field", "words"),
    [
        ("past", 400, "startsAt", "in the past"),
        ("night", 400, "startsAt", "between 08:00 and 21:00"),
        ("nowhere", 400, "place.address", "no provider serves this address"),
        ("unknown item", 400, "items[0].item", ""),
        ("no area", 400, "items[0].intake.area_m2", ""),
        ("not my address", 400, "place.addressId", "saved addresses"),
        ("no time zone", 400, "startsAt", "time zone"),
    ],
)
async def test_bad_requests_are_refused_naming_the_field(
    people: People, api: TestClient, case: str, status: int, field: str, words: str
) -> None:
    world = people.world
    tomorrow = world.tomorrow_at("14:00")
    body = {
        "past": booking_body(world, startsAt=(world.now - timedelta(hours=3)).isoformat()),
        "night": booking_body(world, startsAt=world.tomorrow_at("03:00").isoformat()),
        "nowhere": booking_body(world, place={"address": NOWHERE}),
        "unknown item": booking_body(
            world, items=[{"item": "housekeeping.moon_polish", "tier": "deep"}]
        ),
        "no area": booking_body(world, items=[{"item": DEEP, "tier": "deep"}]),
        "not my address": booking_body(world, place={"addressId": str(uuid.uuid4())}),
        "no time zone": booking_body(world, startsAt=tomorrow.replace(tzinfo=None).isoformat()),
    }[case]

    refused = api.post("/api/v1/bookings", json=body, headers=as_(people.customer))

    assert refused.status_code == status, refused.text
    fields = {p["field"]: p["reason"] for p in refused.json()["problems"]}
    assert field in fields, fields
    assert words in fields[field]
    assert await counts(world) == (0, 0)


async def test_a_time_nobody_can_make_is_409_naming_the_start(
    people: People, api: TestClient
) -> None:
    book(api, people)
    book(api, people, providerId=people.rival_id)

    third = api.post(
        "/api/v1/bookings", json=booking_body(people.world), headers=as_(people.customer)
    )

    assert third.status_code == 409
    assert third.json()["problems"][0]["field"] == "startsAt"
    assert "no provider can come then" in third.json()["problems"][0]["reason"]


async def test_slots_and_search_refuse_bad_input_the_same_way(
    people: People, api: TestClient
) -> None:
    world = people.world
    past_day = str(world.local_day(-1))
    slots = api.post(
        "/api/v1/slots",
        json={**DEEP_90, "place": {"addressId": world.home_id}, "day": past_day},
        headers=as_(people.customer),
    )
    nowhere = api.post(
        "/api/v1/slots",
        json={**DEEP_90, "place": {"address": NOWHERE}, "day": str(world.local_day())},
        headers=as_(people.customer),
    )
    night = api.post(
        "/api/v1/providers/search",
        json={
            **DEEP_90,
            "place": {"addressId": world.home_id},
            "start": world.tomorrow_at("22:30").isoformat(),
        },
        headers=as_(people.customer),
    )
    junk = api.post("/api/v1/slots", json={"item": DEEP}, headers=as_(people.customer))

    assert (slots.status_code, slots.json()["problems"][0]["field"]) == (400, "day")
    assert (nowhere.status_code, nowhere.json()["problems"][0]["field"]) == (400, "place.address")
    assert (night.status_code, night.json()["problems"][0]["field"]) == (400, "start")
    assert junk.status_code == 400
    assert {p["field"] for p in junk.json()["problems"]} >= {"tier"}


async def test_a_transition_the_state_does_not_allow_is_409_with_the_reason(
    people: People, api: TestClient
) -> None:
    booking = book(api, people)
    path = f"/api/v1/bookings/{booking['id']}"
    before = await counts(people.world)

    early = api.post(f"{path}/complete", headers=as_(people.provider))

    assert early.status_code == 409
    assert early.json()["problems"] == [
        {"field": "status", "reason": "a booking that is offered cannot become completed"}
    ]
    assert await counts(people.world) == before
    after = api.get(path, headers=as_(people.customer)).json()
    assert (after["status"], after["version"]) == ("offered", booking["version"])


async def test_a_transition_for_another_role_is_403_with_the_reason(
    people: People, api: TestClient
) -> None:
    booking = book(api, people)
    path = f"/api/v1/bookings/{booking['id']}"

    by_customer = api.post(f"{path}/accept", headers=as_(people.customer))
    review_by_provider = api.post(
        f"{path}/review", json={"rating": 5}, headers=as_(people.provider)
    )

    assert by_customer.status_code == 403
    assert "a customer cannot move a booking from offered to accepted" in by_customer.text
    assert review_by_provider.status_code == 403
    assert api.get(path, headers=as_(people.customer)).json()["status"] == "offered"


async def test_checking_in_far_from_the_address_is_refused_with_the_distance(
    people: People, api: TestClient
) -> None:
    booking = book(api, people)
    path = f"/api/v1/bookings/{booking['id']}"
    api.post(f"{path}/accept", headers=as_(people.provider))
    api.post(f"{path}/travel", headers=as_(people.provider))

    far = api.post(
        f"{path}/check-in",
        json={"position": {"lat": HOME_POINT[0] + 0.01, "lng": HOME_POINT[1]}},
        headers=as_(people.provider),
    )

    assert far.status_code == 400
    reason = far.json()["problems"][0]["reason"]
    assert reason.startswith("you are 11") and "check in within 300 m" in reason
    assert api.get(path, headers=as_(people.provider)).json()["status"] == "en_route"


# --- cancel, decline, reschedule, review -------------------------------------------------------


async def test_cancelling_early_is_free_and_the_fee_is_shown_before(
    people: People, api: TestClient
) -> None:
    booking = book(api, people)
    path = f"/api/v1/bookings/{booking['id']}"

    assert booking["cancellation"]["feeFen"] == 0
    assert booking["cancellation"]["freeUntil"]
    cancelled = api.post(
        f"{path}/cancel", json={"reason": "改天再约"}, headers=as_(people.customer)
    )

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancellation"]["chargedFen"] == 0
    assert cancelled.json()["nextActions"] == []
    again = api.post(f"{path}/cancel", headers=as_(people.customer))
    assert again.status_code == 409


async def test_a_late_cancellation_costs_the_tenants_fee(people: People, api: TestClient) -> None:
    from core.accounts.schemas import CurrentUser
    from core.booking import service
    from core.booking.views import actors_of, view_booking

    world = people.world
    booking = book(api, people)
    late = world.tomorrow_at("14:00") - timedelta(hours=2)
    customer = CurrentUser(id=world.customer_id, tenant_id=world.tenant_id, kind="customer")
    async with tenant_transaction(world.tenant_id):
        actors = await actors_of(customer, world.tenant_id)
        view = await view_booking(world.tenant, world.tenant_id, booking["id"], actors, now=late)
        await service.transition(
            world.tenant, world.tenant_id, booking["id"], "cancelled", actors[0], now=late
        )
        row = await service.load(world.tenant_id, booking["id"])

    assert view.fee_if_cancelled_now == 3000  # jiejia: free until 12 h before, then ¥30
    assert row["cancellation_fee_fen"] == 3000


async def test_a_declined_offer_leaves_the_provider_free(people: People, api: TestClient) -> None:
    booking = book(api, people)
    path = f"/api/v1/bookings/{booking['id']}"

    declined = api.post(
        f"{path}/decline", json={"reason": "那天有事"}, headers=as_(people.provider)
    )

    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    again = book(api, people, providerId=people.provider_id)
    assert again["providerId"] == people.provider_id


async def test_the_customer_moves_a_booking_within_the_policy(
    people: People, api: TestClient
) -> None:
    booking = book(api, people)
    path = f"/api/v1/bookings/{booking['id']}"
    later = people.world.tomorrow_at("09:00", days=2)

    moved = api.post(
        f"{path}/reschedule", json={"startsAt": later.isoformat()}, headers=as_(people.customer)
    )
    night = api.post(
        f"{path}/reschedule",
        json={"startsAt": people.world.tomorrow_at("23:00").isoformat()},
        headers=as_(people.customer),
    )

    assert moved.status_code == 200, moved.text
    assert moved.json()["startsAt"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
    assert night.status_code == 400 and night.json()["problems"][0]["field"] == "startsAt"


async def test_one_review_per_completed_booking_only_by_its_customer(
    people: People, api: TestClient
) -> None:
    booking = book(api, people)
    path = f"/api/v1/bookings/{booking['id']}"

    too_early = api.post(f"{path}/review", json={"rating": 5}, headers=as_(people.customer))
    assert too_early.status_code == 409
    for action, body in [
        ("accept", None),
        ("travel", None),
        ("check-in", {"position": {"lat": HOME_POINT[0], "lng": HOME_POINT[1]}}),
        ("start", None),
        ("complete", None),
    ]:
        assert (
            api.post(f"{path}/{action}", json=body, headers=as_(people.provider)).status_code == 200
        )
    six = api.post(f"{path}/review", json={"rating": 6}, headers=as_(people.customer))
    stranger = api.post(f"{path}/review", json={"rating": 1}, headers=as_(people.other_customer))
    first = api.post(
        f"{path}/review", json={"rating": 4, "text": "不错"}, headers=as_(people.customer)
    )
    second = api.post(f"{path}/review", json={"rating": 1}, headers=as_(people.customer))

    assert (six.status_code, six.json()["problems"][0]["field"]) == (400, "rating")
    assert stranger.status_code == 404
    assert first.status_code == 201
    assert second.status_code == 409
    async with tenant_transaction(people.world.tenant_id):
        assert await Review.count() == 1


async def test_staff_list_every_booking_with_filters(people: People, api: TestClient) -> None:
    world = people.world
    first = book(api, people)
    second = book(api, people, startsAt=world.tomorrow_at("09:00", days=2).isoformat())
    api.post(f"/api/v1/bookings/{first['id']}/accept", headers=as_(people.provider))

    def ids(query: str, token: str | None = None) -> list[str]:
        found = api.get(f"/api/v1/bookings{query}", headers=as_(token or people.admin))
        assert found.status_code == 200, found.text
        return [b["id"] for b in found.json()]

    assert ids("") == [second["id"], first["id"]]
    assert ids("?status=accepted") == [first["id"]]
    assert ids(f"?date={world.local_day(2)}") == [second["id"]]
    assert ids(f"?providerId={people.provider_id}&vertical=housekeeping") == [
        second["id"],
        first["id"],
    ]
    assert ids(f"?providerId={people.rival_id}") == []
    assert ids("?vertical=repair") == []
    assert ids("?status=offered", people.customer) == [second["id"]]
