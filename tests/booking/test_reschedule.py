"""Reschedule: the customer moves a booking within the policy (Jiejia: until 12 hours before
the start) to a time the same provider can make; too close to the start it is refused.
Several items in one booking (one vertical) are priced and timed together."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from core.booking.moves import reschedule
from core.booking.service import Actor, BookingError, ItemRequest, transition
from core.booking.states import CUSTOMER, PROVIDER, STAFF, TransitionError
from core.booking.tables import BookingTransition
from core.catalog.service import quote_now
from tests.factories import NOW, TOMORROW, World, at, overlapping_holds

pytestmark = pytest.mark.db

START = at(TOMORROW, "14:00")
DAY_AFTER = TOMORROW + timedelta(days=1)
DEEP_90 = timedelta(minutes=60 + 90 * 3)


async def booked(world: World) -> tuple[str, str, str]:
    provider = await world.provider()
    customer = await world.customer()
    booking = await world.book(customer, world.request(START, provider_id=provider))
    return booking, customer, provider


async def move(
    world: World, booking: str, actor: Actor, new_start: datetime, now: datetime = NOW
) -> None:
    await reschedule(
        world.plugins,
        world.tenant,
        world.tenant_id,
        world.catalog,
        booking,
        actor,
        new_start,
        now=now,
    )


async def test_the_customer_moves_a_booking_to_a_time_the_provider_can_make(
    jiejia: World,
) -> None:
    booking, customer, provider = await booked(jiejia)
    new_start = at(DAY_AFTER, "09:30")
    await move(jiejia, booking, Actor(CUSTOMER, user_id=customer), new_start)

    row = await jiejia.booking(booking)
    assert (row["starts_at"], row["ends_at"]) == (new_start, new_start + DEEP_90)
    assert (row["hold_start"], row["hold_end"]) == (
        new_start - timedelta(minutes=30),
        new_start + DEEP_90 + timedelta(minutes=30),
    )
    assert (row["status"], str(row["provider"]), row["version"]) == ("offered", provider, 2)
    moved = [t for t in await jiejia.rows(BookingTransition, booking=booking) if t["at"] == NOW]
    assert [t["reason"] for t in moved if t["reason"].startswith("rescheduled")] == [
        f"rescheduled from {START.isoformat()}"
    ]
    # The old time is free again: another customer books it with the same provider.
    assert await jiejia.book(await jiejia.customer(), jiejia.request(START, provider_id=provider))
    assert await overlapping_holds() == []


async def test_an_accepted_booking_can_be_moved_and_a_small_shift_overlapping_itself_is_fine(
    jiejia: World,
) -> None:
    booking, customer, provider = await booked(jiejia)
    await transition(
        jiejia.tenant,
        jiejia.tenant_id,
        booking,
        "accepted",
        Actor(PROVIDER, provider_id=provider),
        now=NOW,
    )
    later = START + timedelta(minutes=30)
    await move(jiejia, booking, Actor(CUSTOMER, user_id=customer), later)
    row = await jiejia.booking(booking)
    assert (row["status"], row["starts_at"]) == ("accepted", later)


async def test_a_time_the_same_provider_cannot_make_is_refused_even_if_others_could(
    jiejia: World,
) -> None:
    booking, customer, provider = await booked(jiejia)
    await jiejia.provider()  # free all the time, but not the customer's provider
    busy = at(DAY_AFTER, "10:00")
    await jiejia.book(await jiejia.customer(), jiejia.request(busy, provider_id=provider))
    before = await jiejia.snapshot(booking)
    for refused in (busy, busy + timedelta(hours=3), at(DAY_AFTER, "19:00")):
        with pytest.raises(BookingError) as caught:
            await move(jiejia, booking, Actor(CUSTOMER, user_id=customer), refused)
        assert caught.value.status_code == 409
        assert caught.value.problems[0].field == "starts_at"
        assert "your provider cannot come then" in caught.value.problems[0].reason
    assert await jiejia.snapshot(booking) == before


async def test_too_close_to_the_start_the_customer_cannot_move_it_but_staff_can(
    jiejia: World,
) -> None:
    booking, customer, _ = await booked(jiejia)
    close = START - timedelta(hours=11, minutes=59)
    before = await jiejia.snapshot(booking)
    with pytest.raises(TransitionError) as caught:
        await move(
            jiejia, booking, Actor(CUSTOMER, user_id=customer), at(DAY_AFTER, "10:00"), close
        )
    assert caught.value.status_code == 400
    assert "too close to the start" in caught.value.reason
    assert await jiejia.snapshot(booking) == before

    # Exactly 12 hours before is still within the policy.
    await move(
        jiejia,
        booking,
        Actor(CUSTOMER, user_id=customer),
        at(DAY_AFTER, "10:00"),
        START - timedelta(hours=12),
    )
    await move(
        jiejia,
        booking,
        Actor(STAFF),
        at(DAY_AFTER, "11:00"),
        at(DAY_AFTER, "10:00") - timedelta(hours=2),
    )
    assert (await jiejia.booking(booking))["starts_at"] == at(DAY_AFTER, "11:00")


@pytest.mark.parametrize(
    ("new_start", "reason"),
    [
        (NOW - timedelta(hours=1), "too soon or in the past"),
        (NOW + timedelta(minutes=20), "too soon or in the past"),
        (at(DAY_AFTER, "23:00"), "outside service hours"),
        (NOW + timedelta(days=200), "at most 120 days ahead"),
        (at(DAY_AFTER, "10:00").replace(tzinfo=None), "time zone"),
    ],
    ids=["past", "too-soon", "night", "too-far", "naive"],
)
async def test_a_bad_new_time_is_a_400_naming_the_reason(
    jiejia: World, new_start: datetime, reason: str
) -> None:
    booking, customer, _ = await booked(jiejia)
    before = await jiejia.snapshot(booking)
    with pytest.raises(BookingError) as caught:
        await move(jiejia, booking, Actor(CUSTOMER, user_id=customer), new_start)
    assert caught.value.status_code == 400
    assert reason in caught.value.problems[0].reason
    assert await jiejia.snapshot(booking) == before


async def test_only_the_customer_or_staff_move_a_booking(jiejia: World) -> None:
    booking, _, provider = await booked(jiejia)
    before = await jiejia.snapshot(booking)
    with pytest.raises(TransitionError) as caught:
        await move(jiejia, booking, Actor(PROVIDER, provider_id=provider), at(DAY_AFTER, "10:00"))
    assert caught.value.status_code == 403
    with pytest.raises(LookupError):
        stranger = await jiejia.customer()
        await move(jiejia, booking, Actor(CUSTOMER, user_id=stranger), at(DAY_AFTER, "10:00"))
    assert await jiejia.snapshot(booking) == before


async def test_a_cancelled_booking_cannot_be_moved(jiejia: World) -> None:
    booking, customer, _ = await booked(jiejia)
    await transition(
        jiejia.tenant, jiejia.tenant_id, booking, "cancelled", Actor(CUSTOMER, user_id=customer)
    )
    with pytest.raises(TransitionError) as caught:
        await move(jiejia, booking, Actor(CUSTOMER, user_id=customer), at(DAY_AFTER, "10:00"))
    assert caught.value.status_code == 409


# --- several items in one booking -----------------------------------------------------------


def home_and_kitchen() -> list[Any]:
    return [
        ItemRequest("housekeeping.home_cleaning", "deep", {"area_m2": 90}),
        ItemRequest("housekeeping.kitchen_cleaning", "standard", {}),
    ]


async def test_several_items_are_priced_and_timed_together(jiejia: World) -> None:
    """Deep cleaning of 90 m2 (330 minutes) and a standard kitchen (180 minutes): one visit of
    510 minutes, the sum of both quotes, by a provider who does both."""
    both = await jiejia.provider(["housekeeping.home_cleaning", "housekeeping.kitchen_cleaning"])
    await jiejia.provider(["housekeeping.home_cleaning"], base=jiejia.centre)
    customer = await jiejia.customer()
    start = at(TOMORROW, "09:00")
    booking = await jiejia.book(customer, jiejia.request(start, items=home_and_kitchen()))

    row = await jiejia.booking(booking)
    quotes = [
        await quote_now(
            jiejia.plugins,
            jiejia.tenant,
            jiejia.catalog,
            item=i.item,
            tier=i.tier,
            intake=i.intake,
            when=start,
            now=NOW,
        )
        for i in home_and_kitchen()
    ]
    assert str(row["provider"]) == both
    assert row["total_fen"] == sum(q.total_fen for q in quotes) == 81_000 + 19_900
    assert row["ends_at"] - row["starts_at"] == timedelta(minutes=330 + 180)
    assert row["hold_end"] - row["hold_start"] == timedelta(minutes=510 + 60)
    items = row["items"] if isinstance(row["items"], list) else json.loads(row["items"])
    assert [(i["item"], i["tier"]) for i in items] == [
        ("housekeeping.home_cleaning", "deep"),
        ("housekeeping.kitchen_cleaning", "standard"),
    ]
    assert [i["quote"]["total_fen"] for i in items] == [q.total_fen for q in quotes]

    # Moving it keeps both items and their length; the provider must still do both.
    await move(jiejia, booking, Actor(CUSTOMER, user_id=customer), at(DAY_AFTER, "09:00"))
    moved = await jiejia.booking(booking)
    assert moved["ends_at"] - moved["starts_at"] == timedelta(minutes=510)


async def test_the_minimum_charge_applies_once_per_visit_not_per_item(jiejia: World) -> None:
    """Jiejia's minimum is 99 yuan a visit. Two hours of daily cleaning (90 yuan) alone is
    topped up by 9 yuan; booked with a kitchen clean (199 yuan) the visit is well above the
    minimum, so nothing is added to either item."""
    await jiejia.provider(["housekeeping.home_cleaning", "housekeeping.kitchen_cleaning"])
    customer = await jiejia.customer()
    small = ItemRequest("housekeeping.home_cleaning", "daily", {"area_m2": 40, "hours": 2})
    kitchen = ItemRequest("housekeeping.kitchen_cleaning", "standard", {})

    alone = await jiejia.booking(
        await jiejia.book(customer, jiejia.request(at(TOMORROW, "09:00"), items=[small]))
    )
    together = await jiejia.booking(
        await jiejia.book(customer, jiejia.request(at(DAY_AFTER, "09:00"), items=[small, kitchen]))
    )

    def lines(row: dict[str, Any]) -> list[list[str]]:
        items = row["items"] if isinstance(row["items"], list) else json.loads(row["items"])
        return [[line["code"] for line in i["quote"]["lines"]] for i in items]

    assert alone["total_fen"] == 9_900
    assert lines(alone) == [["base", "housekeeping.minimum_charge"]]
    assert together["total_fen"] == 9_000 + 19_900
    assert lines(together) == [["base"], ["base"]]


async def test_several_items_need_a_provider_who_does_them_all(jiejia: World) -> None:
    await jiejia.provider(["housekeeping.home_cleaning"])
    await jiejia.provider(["housekeeping.kitchen_cleaning"])
    with pytest.raises(BookingError) as caught:
        await jiejia.book(
            await jiejia.customer(), jiejia.request(at(TOMORROW, "09:00"), items=home_and_kitchen())
        )
    assert caught.value.status_code == 409


async def test_items_of_different_kinds_are_booked_separately(wanjia: World) -> None:
    await wanjia.provider(["housekeeping.home_cleaning"])
    repair = next(i for i in wanjia.catalog.items if i.vertical == "repair")
    tier = repair.tiers[0]
    intake = {f.key: f.default for f in repair.intake if f.default is not None}
    with pytest.raises(BookingError) as caught:
        await wanjia.book(
            await wanjia.customer(),
            wanjia.request(
                at(TOMORROW, "09:00"),
                items=[
                    ItemRequest("housekeeping.home_cleaning", "deep", {"area_m2": 90}),
                    ItemRequest(repair.ref, tier.key, intake),
                ],
            ),
        )
    assert caught.value.status_code == 400
    assert ("items", "book services of one kind together") in [
        (p.field, p.reason) for p in caught.value.problems
    ]


async def test_a_bad_item_among_several_is_named_by_its_position(jiejia: World) -> None:
    await jiejia.provider(["housekeeping.home_cleaning", "housekeeping.kitchen_cleaning"])
    with pytest.raises(BookingError) as caught:
        await jiejia.book(
            await jiejia.customer(),
            jiejia.request(
                at(TOMORROW, "09:00"),
                items=[
                    ItemRequest("housekeeping.home_cleaning", "deep", {"area_m2": 90}),
                    ItemRequest("housekeeping.kitchen_cleaning", "enormous", {}),
                ],
            ),
        )
    assert caught.value.status_code == 400
    assert [p.field.split(".")[0] for p in caught.value.problems] == ["items[1]"]
