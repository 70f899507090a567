"""The penalty ladder: late check-ins and no-shows collect points; thresholds give a warning, a
suspension that really stops offers (and ends after its days), permanent removal; each step can
be appealed in its window and staff decide."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from core.quality import jobs, ladder
from core.quality.rules import QualityError
from core.quality.tables import PenaltyEvent, Sanction
from core.tenancy.schema import PenaltyLadder, PenaltyPoints
from core.tenancy.scoped import tenant_transaction
from tests.factories import TOMORROW, World, at
from tests.quality.world import DONE_AT, STAFF_ACTOR, serve, with_quality

pytestmark = pytest.mark.db
AFTER = DONE_AT + timedelta(hours=1)


async def give_points(world: World, provider: str, n: int, now=AFTER) -> str | None:  # type: ignore[no-untyped-def]
    async with tenant_transaction(world.tenant_id):
        for _ in range(n):
            await ladder.record_event(
                world.tenant,
                world.tenant_id,
                provider,
                "lateness",
                dedupe=f"test:{uuid.uuid4()}",
                now=now,
            )
        return await ladder.apply_ladder(world.tenant, world.tenant_id, provider, now)


async def offered(world: World, provider: str, days: int) -> bool:
    job = await world.job(starts_at=at(TOMORROW + timedelta(days=days), "10:00"))
    return provider in {c.provider_id for c in await world.candidates(job, now=AFTER)}


async def test_a_check_in_later_than_the_tenants_minutes_costs_points_once(jiejia: World) -> None:
    late = await serve(jiejia, late_minutes=40)
    on_time = await serve(jiejia, late_minutes=10, start=at(TOMORROW + timedelta(days=1), "10:00"))

    first = await jobs.booking_events(jiejia.tenant, jiejia.tenant_id, AFTER + timedelta(days=1))
    again = await jobs.booking_events(jiejia.tenant, jiejia.tenant_id, AFTER + timedelta(days=1))

    assert (first, again) == (1, 0)
    (event,) = await jiejia.rows(PenaltyEvent)
    assert (str(event["provider"]), event["kind"], event["detail"]) == (
        late.provider,
        "lateness",
        "40 min late",
    )
    assert await jiejia.rows(PenaltyEvent, provider=on_time.provider) == []


async def test_points_climb_the_ladder_and_a_suspension_stops_offers_until_it_ends(
    jiejia: World,
) -> None:
    with_quality(
        jiejia,
        points=PenaltyPoints(lateness=1),
        ladder=PenaltyLadder(warning=2, suspension=4, suspension_days=7, removal=8),
    )
    provider = await jiejia.provider()
    assert await offered(jiejia, provider, 3)

    warning = await give_points(jiejia, provider, 2)
    assert warning is not None
    assert await offered(jiejia, provider, 3)

    suspension = await give_points(jiejia, provider, 2)
    (row,) = await jiejia.rows(Sanction, id=suspension)
    assert (row["level"], row["points"], len(ladder._ids(row["events"]))) == ("suspension", 4, 4)
    assert not await offered(jiejia, provider, 3)

    assert await ladder.end_served_suspensions(jiejia.tenant_id, AFTER + timedelta(days=6)) == 0
    assert await ladder.end_served_suspensions(jiejia.tenant_id, AFTER + timedelta(days=7)) == 1
    assert await offered(jiejia, provider, 9)


async def test_removal_is_permanent_and_a_step_already_given_is_not_given_twice(
    jiejia: World,
) -> None:
    with_quality(jiejia, ladder=PenaltyLadder(warning=0, suspension=0, removal=3))
    provider = await jiejia.provider()

    removal = await give_points(jiejia, provider, 3)
    again = await give_points(jiejia, provider, 1, now=AFTER + timedelta(days=1))

    assert removal is not None and again is None
    assert await ladder.end_served_suspensions(jiejia.tenant_id, AFTER + timedelta(days=60)) == 0
    assert not await offered(jiejia, provider, 3)


async def test_each_step_is_explained_with_its_events_and_an_upheld_appeal_restores(
    jiejia: World,
) -> None:
    with_quality(jiejia, ladder=PenaltyLadder(warning=0, suspension=2, appeal_days=7))
    provider = await jiejia.provider()
    sid = await give_points(jiejia, provider, 2)
    assert sid is not None

    (step,) = await _steps(jiejia, provider)
    assert step.level == "suspension" and step.can_appeal
    assert [e["kind"] for e in step.events] == ["lateness", "lateness"]

    await ladder.appeal(jiejia.tenant_id, sid, provider, "那天地铁停运，有截图", now=AFTER)
    with pytest.raises(QualityError):
        await ladder.appeal(jiejia.tenant_id, sid, provider, "again", now=AFTER)
    await ladder.decide_appeal(
        jiejia.tenant_id, sid, STAFF_ACTOR.user_id or "", uphold=True, reason="停运属实", now=AFTER
    )

    (row,) = await jiejia.rows(Sanction, id=sid)
    assert (row["status"], row["appeal_decision"]) == ("overturned", "upheld")
    assert all(e["voided"] for e in await jiejia.rows(PenaltyEvent, provider=provider))
    assert await offered(jiejia, provider, 3)


async def test_an_appeal_after_the_window_or_on_another_providers_step_is_refused(
    jiejia: World,
) -> None:
    with_quality(jiejia, ladder=PenaltyLadder(warning=1, appeal_days=7))
    provider, other = await jiejia.provider(), await jiejia.provider()
    sid = await give_points(jiejia, provider, 1)
    assert sid is not None

    with pytest.raises(QualityError) as late:
        await ladder.appeal(
            jiejia.tenant_id, sid, provider, "too late", now=AFTER + timedelta(days=8)
        )
    with pytest.raises(LookupError):
        await ladder.appeal(jiejia.tenant_id, sid, other, "not mine", now=AFTER)

    assert late.value.status_code == 409
    (row,) = await jiejia.rows(Sanction, id=sid)
    assert row["appeal_decision"] == ""


async def _steps(world: World, provider: str) -> list[ladder.Step]:
    async with tenant_transaction(world.tenant_id):
        return await ladder.steps_of(world.tenant_id, provider, AFTER)
