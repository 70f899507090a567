"""The location trail: taken only on the way and on site, sealed, seen only by those entitled
(each read logged), purged on schedule unless an incident holds it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.booking.service import Actor
from core.privacy.tables import PersonalDataRead
from core.safety import trail
from core.safety.tables import PositionFix
from core.tenancy.scoped import tenant_transaction
from tests.safety.conftest import ACCEPTED_AT, EN_ROUTE_AT, START, Scene

pytestmark = pytest.mark.db


async def live(scene: Scene, customer: str, now=EN_ROUTE_AT):  # type: ignore[no-untyped-def]
    async with tenant_transaction(scene.tenant_id):
        return await trail.live_position(
            scene.tenant, scene.tenant_id, scene.booking, Actor("customer", customer), now=now
        )


async def test_positions_are_refused_before_the_provider_sets_off(scene: Scene) -> None:
    await scene.move("accepted", ACCEPTED_AT)

    with pytest.raises(trail.PositionRefused) as refused:
        await scene.report(scene.away(3), ACCEPTED_AT)

    assert refused.value.status_code == 409 and refused.value.problems[0].field == "status"
    assert await scene.rows(PositionFix) == []


@pytest.mark.parametrize(
    ("point", "field"),
    [((91.0, 121.0), "lat"), ((31.2, 181.0), "lng"), ((float("nan"), 121.0), "lat")],
)
async def test_absurd_coordinates_are_refused_naming_the_field(scene: Scene, point, field) -> None:  # type: ignore[no-untyped-def]
    await scene.move("accepted", ACCEPTED_AT)
    await scene.move("en_route", EN_ROUTE_AT)

    with pytest.raises(trail.PositionRefused) as refused:
        await scene.report(point, EN_ROUTE_AT)

    assert [p.field for p in refused.value.problems] == [field]
    assert await scene.rows(PositionFix) == []


async def test_a_timestamp_far_from_now_or_someone_else_s_job_is_refused(scene: Scene) -> None:
    await scene.move("accepted", ACCEPTED_AT)
    await scene.move("en_route", EN_ROUTE_AT)
    stranger = await scene.world.provider()
    stranger_user = await scene.world.provider_user(stranger)

    async with tenant_transaction(scene.tenant_id):
        with pytest.raises(trail.PositionRefused) as old:
            await trail.report_position(
                scene.tenant,
                scene.tenant_id,
                scene.booking,
                Actor("provider", scene.provider_user, scene.provider),
                *scene.away(1),
                taken_at=EN_ROUTE_AT - timedelta(hours=1),
                now=EN_ROUTE_AT,
            )
        with pytest.raises(LookupError):
            await trail.report_position(
                scene.tenant,
                scene.tenant_id,
                scene.booking,
                Actor("provider", stranger_user, stranger),
                *scene.away(1),
                now=EN_ROUTE_AT,
            )
    assert old.value.problems[0].field == "at"
    assert await scene.rows(PositionFix) == []


async def test_positions_are_sealed_and_the_customer_sees_distance_and_eta_with_each_read_logged(
    scene: Scene,
) -> None:
    await scene.move("accepted", ACCEPTED_AT)
    await scene.move("en_route", EN_ROUTE_AT)
    await scene.report(scene.away(5.0), EN_ROUTE_AT)

    (row,) = await scene.rows(PositionFix)
    assert f"{scene.away(5.0)[1]:.4f}" not in row["point_enc"]
    seen = await live(scene, scene.customer)
    assert seen.fix is not None and 4900 < (seen.distance_m or 0) < 5100
    speed = scene.tenant.config.travel_speed_kmh
    assert seen.eta_minutes == round((seen.distance_m or 0) / 1000 / speed * 60)
    reads = await scene.rows(PersonalDataRead, field="safety.point")
    assert [str(r["actor_id"]) for r in reads] == [scene.customer]


async def test_another_customer_sees_nothing_and_nobody_sees_the_trail_after_the_job(
    scene: Scene,
) -> None:
    await scene.move("accepted", ACCEPTED_AT)
    await scene.move("en_route", EN_ROUTE_AT)
    await scene.report(scene.away(1.0), EN_ROUTE_AT)
    other = await scene.world.customer()

    with pytest.raises(LookupError):
        await live(scene, other)
    await scene.move("arrived", START)
    await scene.move("in_progress", START)
    await scene.move("completed", START + timedelta(hours=5))
    after = await live(scene, scene.customer)
    assert after.fix is None and after.status == "completed"
    assert await scene.rows(PersonalDataRead, field="safety.point") == []


async def test_trails_are_purged_after_retention_unless_an_incident_holds_them(
    scene: Scene,
) -> None:
    await scene.move("accepted", ACCEPTED_AT)
    await scene.move("en_route", EN_ROUTE_AT)
    await scene.report(scene.away(2.0), EN_ROUTE_AT)
    retention = timedelta(days=scene.tenant.config.policies.safety.trail_retention_days)

    assert await scene.worker(EN_ROUTE_AT + retention - timedelta(minutes=1)) == {}
    assert len(await scene.rows(PositionFix)) == 1
    report = await scene.worker(EN_ROUTE_AT + retention + timedelta(minutes=1))
    assert report["safety_positions_purged"] == 1 and await scene.rows(PositionFix) == []


async def test_a_trail_held_by_an_incident_outlives_retention(scene: Scene) -> None:
    await scene.move("accepted", ACCEPTED_AT)
    await scene.move("en_route", EN_ROUTE_AT)
    await scene.report(scene.away(2.0), EN_ROUTE_AT)
    await scene.sos("customer", now=EN_ROUTE_AT + timedelta(minutes=1))

    await scene.worker(EN_ROUTE_AT + timedelta(days=400))

    assert len(await scene.rows(PositionFix)) == 1


async def test_a_trail_under_complaint_outlives_retention(scene: Scene, settings) -> None:  # type: ignore[no-untyped-def]
    from core.quality import service as quality

    await scene.move("accepted", ACCEPTED_AT)
    await scene.move("en_route", EN_ROUTE_AT)
    await scene.report(scene.away(2.0), EN_ROUTE_AT)
    async with tenant_transaction(scene.tenant_id):
        await quality.create_complaint(
            scene.tenant,
            scene.tenant_id,
            quality.evidence_store(settings.var_dir),
            scene.booking,
            Actor("customer", scene.customer),
            category="lateness",
            description="师傅迟到了一个多小时",
            now=EN_ROUTE_AT + timedelta(hours=2),
        )

    await scene.worker(EN_ROUTE_AT + timedelta(days=400))

    assert len(await scene.rows(PositionFix)) == 1
