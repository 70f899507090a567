"""Matching keeps the holds of the days asked about in memory (``core.matching.days``): a
booking made, cancelled or moved after the day was loaded is seen by the very next request,
and what matching finds through memory equals what the database alone finds.

Each booking write names its provider in the tenant's matching version (``holds=True``), and
the index reloads just that provider's holds; ``tests/contracts/test_matching_version.py``
finds booking writers that do not.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.booking.moves import reschedule
from core.booking.service import Actor, BookingError, ItemRequest, SlotTaken, transition
from core.booking.states import CUSTOMER
from core.matching.index import candidate_index
from core.matching.service import _local_day_start
from core.tenancy.scoped import tenant_transaction
from tests.booking.test_candidate_index import ids, without_index
from tests.factories import NOW, TOMORROW, World, at, east_of

pytestmark = pytest.mark.db

SMALL = [ItemRequest("housekeeping.home_cleaning", "deep", {"area_m2": 30})]
"""Deep cleaning of 30 m2: 60 + 30 x 3 = 150 minutes."""


async def day_in_memory(world: World, job: Any) -> bool:
    async with tenant_transaction(world.tenant_id):
        index = await candidate_index(world.tenant_id)
    assert index is not None
    return index.days.cached(_local_day_start(world.tenant, job.starts_at)) is not None


async def book(world: World, customer: str, provider: str, hhmm: str) -> str:
    request = world.request(at(TOMORROW, hhmm), items=SMALL, provider_id=provider)
    return await world.book(customer, request)


async def cancel(world: World, booking: str, customer: str) -> None:
    async with tenant_transaction(world.tenant_id):
        await transition(
            world.tenant,
            world.tenant_id,
            booking,
            "cancelled",
            Actor(CUSTOMER, user_id=customer),
            now=NOW,
        )


async def test_a_booking_made_after_the_day_was_loaded_is_seen(jiejia: World) -> None:
    provider = await jiejia.provider()
    customer = await jiejia.customer()
    job = await jiejia.job(starts_at=at(TOMORROW, "10:00"), duration_minutes=60)
    assert await ids(jiejia, job) == [provider]
    assert await day_in_memory(jiejia, job)

    await book(jiejia, customer, provider, "10:00")

    assert await ids(jiejia, job) == []
    assert await day_in_memory(jiejia, job), "patched in memory, not loaded again"
    # Travel counts too: straight after the booking ends (12:30 + 30 min buffer) is too soon
    # only if the provider cannot get there; the database alone agrees either way.
    after = await jiejia.job(starts_at=at(TOMORROW, "13:00"), duration_minutes=60)
    assert await ids(jiejia, after) == await without_index(jiejia, after)


async def test_a_cancelled_booking_frees_the_provider_again(jiejia: World) -> None:
    provider = await jiejia.provider()
    customer = await jiejia.customer()
    booking = await book(jiejia, customer, provider, "10:00")
    job = await jiejia.job(starts_at=at(TOMORROW, "10:00"), duration_minutes=60)
    assert await ids(jiejia, job) == []
    assert await day_in_memory(jiejia, job)

    await cancel(jiejia, booking, customer)

    assert await ids(jiejia, job) == [provider]


async def test_a_moved_booking_frees_the_old_time_and_takes_the_new(jiejia: World) -> None:
    provider = await jiejia.provider()
    customer = await jiejia.customer()
    booking = await book(jiejia, customer, provider, "09:00")
    morning = await jiejia.job(starts_at=at(TOMORROW, "09:30"), duration_minutes=60)
    afternoon = await jiejia.job(starts_at=at(TOMORROW, "16:00"), duration_minutes=60)
    assert (await ids(jiejia, morning), await ids(jiejia, afternoon)) == ([], [provider])

    await reschedule(
        jiejia.plugins,
        jiejia.tenant,
        jiejia.tenant_id,
        jiejia.catalog,
        booking,
        Actor(CUSTOMER, user_id=customer),
        at(TOMORROW, "15:30"),
        now=NOW,
    )

    assert (await ids(jiejia, morning), await ids(jiejia, afternoon)) == ([provider], [])


step_st = st.fixed_dictionaries(
    {
        "who": st.integers(0, 5),
        "hour": st.integers(8, 17),
        "cancel": st.booleans(),
        "job_quarter": st.integers(8 * 4, 18 * 4),
        "job_east_km": st.floats(-25, 25),
    }
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    places=st.lists(st.floats(-25, 25), min_size=1, max_size=6),
    steps=st.lists(step_st, min_size=1, max_size=5),
)
async def test_results_through_memory_equal_the_database_as_bookings_come_and_go(
    jiejia: World, places: list[float], steps: list[dict[str, Any]]
) -> None:
    # Examples share the tenant: each adds its providers and bookings to the ones before.
    # Far apart (up to 50 km): the travel between jobs often decides, not only the overlap.
    providers = [
        await jiejia.provider(base=east_of(jiejia.centre, km), radius_km=40.0) for km in places
    ]
    customer = await jiejia.customer()
    for step in steps:
        job = await jiejia.job(
            point=east_of(jiejia.centre, step["job_east_km"]),
            starts_at=at(TOMORROW, "00:00") + timedelta(minutes=15 * step["job_quarter"]),
            duration_minutes=90,
        )
        await ids(jiejia, job)  # the day is in memory before the change
        assert await day_in_memory(jiejia, job)
        provider = providers[step["who"] % len(providers)]
        try:
            booking = await book(jiejia, customer, provider, f"{step['hour']:02d}:30")
        except (BookingError, SlotTaken):
            booking = None
        if booking is not None and step["cancel"]:
            await cancel(jiejia, booking, customer)
        found = await ids(jiejia, job)
        # One chosen provider (the booking path) is judged as in the whole field.
        chosen = [p for p in providers if await jiejia.candidates(job, only=p)]
        assert set(chosen) == set(found) & set(providers)
        assert found == await without_index(jiejia, job)


async def test_a_day_far_from_the_others_is_loaded_on_its_own(jiejia: World) -> None:
    provider = await jiejia.provider()
    customer = await jiejia.customer()
    await book(jiejia, customer, provider, "10:00")
    later = TOMORROW + timedelta(days=20)
    job = await jiejia.job(starts_at=at(later, "10:00"), duration_minutes=60)
    assert await ids(jiejia, job) == [provider]
    tomorrow = await jiejia.job(starts_at=at(TOMORROW, "10:00"), duration_minutes=60)
    assert await ids(jiejia, tomorrow) == []
