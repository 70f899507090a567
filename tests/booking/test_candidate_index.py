"""Matching through the in-memory candidate index finds exactly whom the database finds.

The index (``core.matching.index``) only narrows the field by skill and service area; it is
rebuilt when the tenant's matching version moves, which every service that changes a provider
bumps in the same transaction. So: results with the index equal results without it on random
worlds, and a change made through each service is seen by the very next request (the index
was built before the change; only the version in the database tells it).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import rawsql
from core.db import write_transaction
from core.matching.index import bump_matching_version, candidate_index
from core.matching.tables import MatchingVersion
from core.providers import service as providers
from core.providers.tables import ProviderProfile
from core.quality.ladder import end_served_suspensions
from core.quality.tables import Sanction
from core.tenancy.scoped import tenant_transaction
from core.verification.service import lift_suspension, review_provider, suspend_skills
from tests.factories import NOW, TOMORROW, World, at, east_of

pytestmark = pytest.mark.db

SKILLS = ("housekeeping.home_cleaning", "housekeeping.kitchen_cleaning")
DISTRICTS = ("黄浦区", "静安区", "徐汇区")


async def ids(world: World, job: Any) -> list[str]:
    return [c.provider_id for c in await world.candidates(job)]


async def without_index(world: World, job: Any) -> list[str]:
    """The same request with no matching version: the database alone decides."""
    async with tenant_transaction(world.tenant_id), write_transaction():
        await MatchingVersion.delete().where(MatchingVersion.tenant == world.tenant_id)
    try:
        async with tenant_transaction(world.tenant_id):
            assert await candidate_index(world.tenant_id) is None
        return await ids(world, job)
    finally:
        async with tenant_transaction(world.tenant_id), write_transaction():
            await bump_matching_version(world.tenant_id)


async def index_is_used(world: World) -> bool:
    async with tenant_transaction(world.tenant_id):
        return await candidate_index(world.tenant_id) is not None


# --- equal results on random worlds ---------------------------------------------------------

provider_st = st.fixed_dictionaries(
    {
        "skills": st.lists(st.sampled_from(SKILLS), min_size=1, max_size=2, unique=True),
        "east_km": st.floats(-25, 25),
        "radius_km": st.one_of(st.none(), st.sampled_from([0.5, 3.0, 8.0, 15.0])),
        "districts": st.lists(st.sampled_from(DISTRICTS), max_size=2, unique=True),
        "status": st.sampled_from(["active", "active", "active", "suspended", "onboarding"]),
        "suspended": st.booleans(),
    }
).filter(lambda p: p["radius_km"] is not None or p["districts"])
job_st = st.fixed_dictionaries(
    {
        "skill": st.sampled_from(SKILLS),
        "east_km": st.floats(-20, 20),
        "district": st.sampled_from(("", *DISTRICTS)),
        "hour": st.integers(7, 19),
    }
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=st.lists(provider_st, min_size=1, max_size=6), jobs=st.lists(job_st, max_size=4))
async def test_results_with_the_index_equal_results_without_it(
    jiejia: World, people: list[dict[str, Any]], jobs: list[dict[str, Any]]
) -> None:
    # Examples share the tenant: each adds its providers to the ones before (a bigger world).
    for p in people:
        await jiejia.provider(
            p["skills"],
            base=east_of(jiejia.centre, p["east_km"]),
            radius_km=p["radius_km"],
            districts=p["districts"],
            status=p["status"],
            suspended=p["skills"][:1] if p["suspended"] else (),
        )
    assert await index_is_used(jiejia)
    for j in jobs:
        job = await jiejia.job(
            item_ref=j["skill"],
            point=east_of(jiejia.centre, j["east_km"]),
            district=j["district"],
            starts_at=at(TOMORROW, f"{j['hour']:02d}:00"),
            duration_minutes=60,
        )
        assert await ids(jiejia, job) == await without_index(jiejia, job)


async def test_a_districts_only_provider_is_found_through_the_index(jiejia: World) -> None:
    far = east_of(jiejia.centre, 40)
    serving = await jiejia.provider(radius_km=None, districts=[jiejia.district])
    await jiejia.provider(radius_km=None, districts=["静安区"])
    job = await jiejia.job(point=far, starts_at=at(TOMORROW, "10:00"))
    assert await index_is_used(jiejia)
    assert await ids(jiejia, job) == [serving]
    nowhere = await jiejia.job(point=far, district="", starts_at=at(TOMORROW, "10:00"))
    assert await ids(jiejia, nowhere) == []


# --- a change through each service is seen by the next request ------------------------------


async def job_at_centre(world: World) -> Any:
    return await world.job(starts_at=at(TOMORROW, "10:00"))


async def test_moving_the_service_area_is_seen(jiejia: World) -> None:
    pid = await jiejia.provider(base=east_of(jiejia.centre, 30), radius_km=5.0)
    assert await ids(jiejia, await job_at_centre(jiejia)) == []  # the index is built now
    await providers.save_profile(
        pid,
        jiejia.tenant_id,
        providers.ProfileInput(
            name="王阿姨",
            gender="female",
            birth_year=1985,
            years_experience=8,
            languages=["zh"],
            bio="",
            area_lat=jiejia.centre[0],
            area_lng=jiejia.centre[1],
            area_radius_km=5.0,
        ),
        today=NOW.date(),
    )
    assert await ids(jiejia, await job_at_centre(jiejia)) == [pid]


async def test_a_new_skill_is_seen(jiejia: World) -> None:
    pid = await jiejia.provider(["housekeeping.kitchen_cleaning"])
    assert await ids(jiejia, await job_at_centre(jiejia)) == []
    await providers.set_skills(
        pid,
        jiejia.tenant_id,
        ["housekeeping.kitchen_cleaning", "housekeeping.home_cleaning"],
        {i.ref for i in jiejia.catalog.items},
    )
    assert await ids(jiejia, await job_at_centre(jiejia)) == [pid]
    await providers.set_skills(
        pid,
        jiejia.tenant_id,
        ["housekeeping.kitchen_cleaning"],
        {i.ref for i in jiejia.catalog.items},
    )
    assert await ids(jiejia, await job_at_centre(jiejia)) == []


async def test_working_hours_and_status_are_seen(jiejia: World) -> None:
    pid = await jiejia.provider(hours={"mon": ["08:00", "18:00"]})
    assert await ids(jiejia, await job_at_centre(jiejia)) == []  # a Wednesday
    await providers.save_availability(pid, jiejia.tenant_id, {"wed": ["08:00", "18:00"]}, [])
    assert await ids(jiejia, await job_at_centre(jiejia)) == [pid]
    await providers.set_status(pid, jiejia.tenant_id, "suspended", "test")
    assert await ids(jiejia, await job_at_centre(jiejia)) == []
    await providers.set_status(pid, jiejia.tenant_id, "active")
    assert await ids(jiejia, await job_at_centre(jiejia)) == [pid]


async def test_verification_outcomes_are_seen(jiejia: World) -> None:
    pid = await jiejia.provider(status="pending_review")
    assert await ids(jiejia, await job_at_centre(jiejia)) == []
    await review_provider(jiejia.tenant_id, pid, approve=True, reason="", now=NOW)
    assert await ids(jiejia, await job_at_centre(jiejia)) == [pid]
    async with tenant_transaction(jiejia.tenant_id), write_transaction():
        await suspend_skills(pid, [SKILLS[0]], "certificate:health_certificate")
    assert await ids(jiejia, await job_at_centre(jiejia)) == []
    async with tenant_transaction(jiejia.tenant_id), write_transaction():
        await lift_suspension(pid, "certificate:health_certificate")
    assert await ids(jiejia, await job_at_centre(jiejia)) == [pid]


async def test_a_served_quality_suspension_is_seen(jiejia: World) -> None:
    pid = await jiejia.provider()
    async with tenant_transaction(jiejia.tenant_id):
        sanction = Sanction(
            tenant=jiejia.tenant_id,
            provider=pid,
            level="suspension",
            points=12,
            events=[],
            starts_at=NOW - timedelta(days=8),
            ends_at=NOW - timedelta(days=1),
            appeal_until=NOW - timedelta(days=1),
        )
        await sanction.save()
    await providers.set_status(
        pid, jiejia.tenant_id, "suspended", f"quality:suspension:{sanction.id}"
    )
    assert await ids(jiejia, await job_at_centre(jiejia)) == []
    assert await end_served_suspensions(jiejia.tenant_id, NOW) == 1
    assert await ids(jiejia, await job_at_centre(jiejia)) == [pid]


async def test_more_providers_than_sqlite_takes_parameters_are_asked_for_at_once(
    jiejia: World,
) -> None:
    """The index may name tens of thousands of providers: the id list is one parameter
    (``core.rawsql.ids_in``), so SQLite's limit of 32,766 parameters per statement never
    applies, and only the tenant's own rows come back."""
    people = [await jiejia.provider(base=east_of(jiejia.centre, km)) for km in (0, 1, 2)]
    strangers = [str(uuid.uuid4()) for _ in range(40_000)]
    among, value = rawsql.ids_in(ProviderProfile, "id", [*strangers, *people])
    async with tenant_transaction(jiejia.tenant_id):
        rows = await rawsql.select(
            ProviderProfile,
            f"SELECT {rawsql.text_id('id', 'id')} FROM providers_profile "
            f"WHERE tenant = {{}} AND {among}",
            str(jiejia.tenant_id),
            value,
        )
    assert sorted(r["id"] for r in rows) == sorted(people)
    assert sorted(await ids(jiejia, await job_at_centre(jiejia))) == sorted(people)
