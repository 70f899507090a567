"""Weekly spot checks become tasks an inspector completes; a failing score sends the provider
back to the course before they are offered the item again. Complaint clocks remind and escalate
once. The public page's figures are published only above the minimum sample."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.quality import jobs, public, spotchecks
from core.quality.rules import QualityError
from core.quality.tables import (
    BookingMessage,
    Complaint,
    ProviderQuality,
    QualitySnapshot,
    Retraining,
    SpotCheck,
)
from core.tenancy.scoped import tenant_transaction
from core.verification.tables import TrainingResult
from tests.factories import TOMORROW, World, at
from tests.quality.world import STAFF_ACTOR, serve, with_quality

pytestmark = pytest.mark.db
NEXT_MONDAY = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)
"""Monday 16 March 2026, 09:00 in Shanghai: last week is the week of the served bookings."""


async def served_week(world: World, n: int, provider: str | None = None) -> str:
    provider = provider or await world.provider()
    customer = await world.customer()
    for day in range(n):
        await serve(
            world,
            provider=provider,
            customer=customer,
            start=at(TOMORROW + timedelta(days=day), "08:30"),
        )
    return provider


async def test_a_weekly_sample_becomes_tasks_once(jiejia: World) -> None:
    with_quality(jiejia, spot_check_percent=50, callback_percent=50)
    await served_week(jiejia, 4)

    created = await spotchecks.sample_week(jiejia.tenant, jiejia.tenant_id, NEXT_MONDAY)
    again = await spotchecks.sample_week(jiejia.tenant, jiejia.tenant_id, NEXT_MONDAY)

    assert (created, again) == (2, 0)
    tasks = await jiejia.rows(SpotCheck)
    assert sorted(t["kind"] for t in tasks) == ["callback", "inspection"]
    assert {t["week"] for t in tasks} == {"2026-W11"}


async def test_a_failing_inspection_sends_the_provider_back_to_the_course(jiejia: World) -> None:
    with_quality(jiejia, spot_check_percent=100, callback_percent=0, spot_check_pass_score=60)
    provider = await served_week(jiejia, 1)
    await spotchecks.sample_week(jiejia.tenant, jiejia.tenant_id, NEXT_MONDAY)
    (task,) = await jiejia.rows(SpotCheck)

    with pytest.raises(QualityError) as bad:
        await spotchecks.complete(
            jiejia.plugins,
            jiejia.tenant,
            jiejia.tenant_id,
            str(task["id"]),
            STAFF_ACTOR.user_id or "",
            {"as_listed": "9"},
            now=NEXT_MONDAY,
        )
    assert bad.value.field == "answers.as_listed"

    result = await spotchecks.complete(
        jiejia.plugins,
        jiejia.tenant,
        jiejia.tenant_id,
        str(task["id"]),
        STAFF_ACTOR.user_id or "",
        {"as_listed": "2", "finish": "1", "safety": "3", "tidy": "2"},
        now=NEXT_MONDAY,
    )

    assert (result.score, result.passed, result.retraining) == (
        40,
        False,
        "housekeeping.service_basics",
    )
    job = await jiejia.job(starts_at=at(TOMORROW + timedelta(days=8), "10:00"))
    assert provider not in {c.provider_id for c in await jiejia.candidates(job, now=NEXT_MONDAY)}

    async with tenant_transaction(jiejia.tenant_id):
        await TrainingResult.insert(
            TrainingResult(
                tenant=jiejia.tenant_id,
                provider=provider,
                course="housekeeping.service_basics",
                score=90,
                passed_at=NEXT_MONDAY + timedelta(hours=2),
                taken_at=NEXT_MONDAY,
            )
        )
    released = await spotchecks.release_retrained(
        jiejia.tenant_id, NEXT_MONDAY + timedelta(hours=3)
    )

    assert released == 1
    assert (await jiejia.rows(Retraining))[0]["released_at"] is not None
    assert provider in {c.provider_id for c in await jiejia.candidates(job, now=NEXT_MONDAY)}


async def test_complaint_clocks_remind_before_and_escalate_after_each_deadline_once(
    jiejia: World, settings
) -> None:
    from core.quality import service

    served = await serve(jiejia)
    filed = datetime(2026, 3, 12, 2, 0, tzinfo=UTC)
    cid = await service.create_complaint(
        jiejia.tenant,
        jiejia.tenant_id,
        service.evidence_store(settings.var_dir),
        served.booking,
        served.as_customer,
        category="lateness",
        description="迟到了四十分钟",
        now=filed,
    )

    async def run(hours: float) -> dict[str, int]:
        return await jobs.complaint_clocks(
            jiejia.tenant, jiejia.tenant_id, filed + timedelta(hours=hours)
        )

    assert await run(1) == {"complaint_reminders": 0, "complaint_escalations": 0}
    assert await run(3.5) == {"complaint_reminders": 1, "complaint_escalations": 0}
    assert await run(3.6) == {"complaint_reminders": 0, "complaint_escalations": 0}
    assert await run(5) == {"complaint_reminders": 0, "complaint_escalations": 1}
    assert await run(6) == {"complaint_reminders": 0, "complaint_escalations": 0}
    (row,) = await jiejia.rows(Complaint, id=cid)
    assert row["reminders"] == "response:remind,response:escalate"
    notes = [m for m in await jiejia.rows(BookingMessage) if m["kind"] == "note"]
    assert len(notes) == 2


async def test_the_public_figures_need_the_minimum_sample_and_are_computed_once_a_day(
    jiejia: World,
) -> None:
    with_quality(jiejia, public_min_sample=3)
    busy = await served_week(jiejia, 3)
    quiet = await served_week(jiejia, 1)

    written = await public.compute_snapshot(jiejia.tenant, jiejia.tenant_id, NEXT_MONDAY)
    again = await public.compute_snapshot(jiejia.tenant, jiejia.tenant_id, NEXT_MONDAY)

    assert (written, again) == (2, 0)
    _, rows = await public.latest(jiejia.tenant_id)
    published = {(r["scope"], r["key"]): r for r in rows}
    assert set(published) == {("vertical", "housekeeping"), ("provider", busy)}
    assert ("provider", quiet) not in published
    figures = published[("vertical", "housekeeping")]["figures"]
    figures = figures if isinstance(figures, dict) else __import__("json").loads(figures)
    assert (figures["bookings"], figures["on_time_share"]) == (4, 1.0)
    assert len(await jiejia.rows(QualitySnapshot)) == 3  # the two published and the day's marker


async def test_the_worker_pass_runs_the_quality_jobs_and_a_second_pass_does_nothing(
    jiejia: World, settings, tenants
) -> None:
    from core.worker import run_pass

    await served_week(jiejia, 2)

    first = await run_pass(settings, tenants, jiejia.plugins, now=NEXT_MONDAY)
    again = await run_pass(settings, tenants, jiejia.plugins, now=NEXT_MONDAY + timedelta(hours=1))

    assert first["spot_checks_created"] == 1
    assert "spot_checks_created" not in again
    assert len(await jiejia.rows(ProviderQuality)) == 1
