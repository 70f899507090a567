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
from core.matching.index import CandidateIndex, candidate_index, index_rows
from core.matching.tables import MatchingChange, MatchingVersion
from core.matching.version import bump_matching_version
from core.providers import service as providers
from core.providers.tables import ProviderProfile
from core.quality.ladder import end_served_suspensions
from core.quality.tables import Sanction
from core.tenancy.scoped import tenant_transaction
from core.verification.approval import review_provider
from core.verification.jobs import run_identity_recheck
from core.verification.proofs import take_quiz
from core.verification.suspensions import lift_suspension, suspend_skills
from tests.factories import EVERY_DAY, NOW, TOMORROW, World, at, east_of

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


async def test_training_and_identity_checks_are_seen(jiejia: World) -> None:
    """The index keeps every provider's checks in memory: passing the course and an identity
    check running out each reach the very next request."""
    pid = await jiejia.provider(without=("training",))
    assert await ids(jiejia, await job_at_centre(jiejia)) == []
    course = next(
        c
        for found in jiejia.plugins.for_tenant(jiejia.tenant).training_courses()
        for c in found or []
        if c.vertical == "housekeeping"
    )
    answers = {q.key: q.answer for q in course.quiz}
    await take_quiz(jiejia.tenant_id, pid, course, answers, now=NOW)
    assert await ids(jiejia, await job_at_centre(jiejia)) == [pid]

    async def ignore(provider: str, event: str, params: dict[str, str]) -> None:
        return None

    # The factory's identity checks pass until NOW + 335 days: a year on, they have run out.
    await run_identity_recheck(jiejia.tenant_id, NOW + timedelta(days=365), ignore)
    assert await ids(jiejia, await job_at_centre(jiejia)) == []


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


# --- a few changes patch the index; a change naming nobody rebuilds it ----------------------


async def current_index(world: World) -> CandidateIndex:
    async with tenant_transaction(world.tenant_id):
        index = await candidate_index(world.tenant_id)
    assert index is not None
    return index


async def test_a_change_patches_the_index_in_place(jiejia: World) -> None:
    """A provider's change reloads that provider only: the same index, one version on."""
    pid = await jiejia.provider(base=east_of(jiejia.centre, 30), radius_km=5.0)
    other = await jiejia.provider()
    before = await current_index(jiejia)
    version = before.key[1]
    await providers.save_availability(pid, jiejia.tenant_id, EVERY_DAY, [])
    await providers.set_status(other, jiejia.tenant_id, "suspended", "test")
    after = await current_index(jiejia)
    assert after is before
    assert after.key[1] == version + 2
    assert await ids(jiejia, await job_at_centre(jiejia)) == []
    await providers.set_status(other, jiejia.tenant_id, "active")
    assert await ids(jiejia, await job_at_centre(jiejia)) == [other]
    assert await current_index(jiejia) is before


async def test_a_new_provider_is_appended_to_the_index(jiejia: World) -> None:
    first = await jiejia.provider(base=east_of(jiejia.centre, 1))
    index = await current_index(jiejia)
    second = await jiejia.provider(base=east_of(jiejia.centre, 2))
    assert await current_index(jiejia) is index
    assert index.ids[-1] == second
    assert sorted(await ids(jiejia, await job_at_centre(jiejia))) == sorted([first, second])


async def test_an_index_newer_than_the_version_a_request_read_serves_it_as_it_is(
    jiejia: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request read the version, then waited while another brought the index past it: it
    takes that index, not a new one read from the whole tenant."""
    import core.matching.index

    pid = await jiejia.provider()
    index = await current_index(jiejia)
    behind = (index.key[0], index.key[1] - 1)

    async def read_before_the_last_bump(tenant_id: Any) -> tuple[tuple[str, int], str]:
        return behind, index.providers_at

    monkeypatch.setattr(core.matching.index, "versions", read_before_the_last_bump)
    assert await current_index(jiejia) is index
    assert await ids(jiejia, await job_at_centre(jiejia)) == [pid]


async def test_a_change_naming_nobody_rebuilds_the_index(jiejia: World) -> None:
    pid = await jiejia.provider()
    index = await current_index(jiejia)
    async with tenant_transaction(jiejia.tenant_id), write_transaction():
        await bump_matching_version(jiejia.tenant_id)
    rebuilt = await current_index(jiejia)
    assert rebuilt is not index
    assert await ids(jiejia, await job_at_centre(jiejia)) == [pid]


async def test_a_gap_in_the_change_log_rebuilds_the_index(jiejia: World) -> None:
    """Pruned entries: an index older than the log cannot know whom they named."""
    pid = await jiejia.provider(hours={"mon": ["08:00", "18:00"]})
    index = await current_index(jiejia)
    await providers.save_availability(pid, jiejia.tenant_id, EVERY_DAY, [])
    async with tenant_transaction(jiejia.tenant_id), write_transaction():
        await MatchingChange.delete().where(
            (MatchingChange.tenant == jiejia.tenant_id)
            & (MatchingChange.version == index.key[1] + 1)
        )
    assert await current_index(jiejia) is not index
    assert await ids(jiejia, await job_at_centre(jiejia)) == [pid]


async def test_old_change_log_entries_are_pruned(
    jiejia: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("core.matching.version.PRUNE_EVERY", 3)
    monkeypatch.setattr("core.matching.version.KEEP_VERSIONS", 2)
    pid = await jiejia.provider()
    for _ in range(6):
        await providers.save_availability(pid, jiejia.tenant_id, EVERY_DAY, [])
    async with tenant_transaction(jiejia.tenant_id):
        kept = await MatchingChange.select(MatchingChange.version).where(
            MatchingChange.tenant == jiejia.tenant_id
        )
        (version,) = await MatchingVersion.select(MatchingVersion.version).where(
            MatchingVersion.tenant == jiejia.tenant_id
        )
    assert min(r["version"] for r in kept) > version["version"] - 6
    assert max(r["version"] for r in kept) == version["version"]


change_st = st.fixed_dictionaries(
    {
        "who": st.integers(0, 5),
        "what": st.sampled_from(["area", "districts", "skills", "status", "new"]),
        "east_km": st.floats(-20, 20),
        "radius_km": st.sampled_from([0.5, 3.0, 8.0, 15.0]),
        "districts": st.lists(st.sampled_from(DISTRICTS), max_size=2, unique=True),
        "skills": st.lists(st.sampled_from(SKILLS), min_size=1, max_size=2, unique=True),
    }
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=st.lists(change_st, min_size=1, max_size=8), probes=st.lists(job_st, max_size=4))
async def test_a_patched_index_names_whom_a_fresh_one_names(
    jiejia: World, changes: list[dict[str, Any]], probes: list[dict[str, Any]]
) -> None:
    """Random changes through the services, each patching the index: every lookup equals the
    lookup of an index built from scratch on the same rows."""
    people = [await jiejia.provider(base=east_of(jiejia.centre, km)) for km in (-3, 0, 3)]
    patched = await current_index(jiejia)
    catalogue = {i.ref for i in jiejia.catalog.items}
    for change in changes:
        pid = people[change["who"] % len(people)]
        if change["what"] == "new":
            people.append(await jiejia.provider(base=east_of(jiejia.centre, change["east_km"])))
        elif change["what"] == "skills":
            await providers.set_skills(pid, jiejia.tenant_id, change["skills"], catalogue)
        elif change["what"] == "status":
            await providers.set_status(pid, jiejia.tenant_id, "suspended", "test")
        else:
            point = east_of(jiejia.centre, change["east_km"])
            async with tenant_transaction(jiejia.tenant_id), write_transaction():
                await ProviderProfile.update(
                    {
                        ProviderProfile.area_lat: point[0],
                        ProviderProfile.area_lng: point[1],
                        ProviderProfile.area_radius_km: change["radius_km"],
                    }
                    if change["what"] == "area"
                    else {ProviderProfile.area_districts: ",".join(change["districts"])}
                ).where(ProviderProfile.id == pid)
                await bump_matching_version(jiejia.tenant_id, pid)
        assert await current_index(jiejia) is patched
    async with tenant_transaction(jiejia.tenant_id):
        profiles, skills = await index_rows(jiejia.tenant_id, None)
    fresh = CandidateIndex.build(patched.key, profiles, skills)
    for probe in probes:
        point, refs = east_of(jiejia.centre, probe["east_km"]), [probe["skill"]]
        assert sorted(patched.near(refs, point, probe["district"])) == sorted(
            fresh.near(refs, point, probe["district"])
        )
