"""Request -> ranked providers.

Eligible: has the skill; every required check passed and valid on the job date; not
suspended; inside the service area (circle or districts); working then; free for the job plus
the travel buffer and the travel from the previous job and to the next. Ranking: travel time,
Bayesian-smoothed rating, quality, reliability, fairness and plugin adjustments; every
candidate's explanation adds up to its score.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

import pytest
from msgspec.structs import replace

from core.booking.service import Actor, transition
from core.booking.states import PROVIDER
from core.hookspecs import hookimpl
from core.matching.schemas import MatchCandidate, ScoreAdjustment
from core.matching.service import find_candidates, travel_minutes
from core.matching.slots import available_slots
from core.plugins import build_plugin_manager
from core.tenancy.scoped import tenant_transaction
from core.verification.tables import IdentityCheck
from tests.factories import NOW, TOMORROW, World, at, east_of

pytestmark = pytest.mark.db

TEN = at(TOMORROW, "10:00")
"""Wednesday 11 March 2026, 10:00 in Shanghai."""


async def ids(world: World, **job: Any) -> list[str]:
    job.setdefault("starts_at", TEN)
    return [c.provider_id for c in await world.candidates(await world.job(**job))]


# --- eligibility ----------------------------------------------------------------------------


async def test_only_providers_with_the_skill(jiejia: World) -> None:
    cleaner = await jiejia.provider(["housekeeping.home_cleaning"])
    await jiejia.provider(["housekeeping.kitchen_cleaning"])
    await jiejia.provider(["housekeeping.home_cleaning"], suspended=["housekeeping.home_cleaning"])
    assert await ids(jiejia) == [cleaner]
    assert await ids(jiejia, item_ref="housekeeping.no_such_item") == []


async def test_every_required_check_passed(jiejia: World) -> None:
    ready = await jiejia.provider()
    for missing in ("face_match", "id_number", "phone", "health_certificate", "training"):
        await jiejia.provider(without=[missing])
    assert await ids(jiejia) == [ready]


async def test_a_failed_or_lapsed_identity_check_excludes(jiejia: World) -> None:
    failed, lapsed = await jiejia.provider(), await jiejia.provider()
    async with tenant_transaction(jiejia.tenant_id):
        await IdentityCheck.update({IdentityCheck.status: "failed"}).where(
            (IdentityCheck.provider == failed) & (IdentityCheck.kind == "face_match")
        )
        await IdentityCheck.update({IdentityCheck.valid_until: TEN - timedelta(hours=1)}).where(
            (IdentityCheck.provider == lapsed) & (IdentityCheck.kind == "real_name")
        )
    assert await ids(jiejia) == []
    assert await ids(jiejia, starts_at=TEN - timedelta(hours=2)) == [lapsed]


async def test_certificates_must_be_valid_on_the_job_date_in_the_tenants_time_zone(
    jiejia: World,
) -> None:
    """A certificate valid through 11 March covers a job on 11 March, not one on 12 March,
    also at 07:00 in Shanghai (still 11 March in UTC)."""
    early_hours = {day: ["06:00", "20:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    expiring = await jiejia.provider(certificates_until=TOMORROW, hours=early_hours)
    lasting = await jiejia.provider(hours=early_hours)
    assert sorted(await ids(jiejia)) == sorted([expiring, lasting])
    day_after = TOMORROW + timedelta(days=1)
    assert await ids(jiejia, starts_at=at(day_after, "07:00")) == [lasting]
    assert await ids(jiejia, starts_at=at(day_after, "12:00")) == [lasting]


async def test_only_active_providers(jiejia: World) -> None:
    active = await jiejia.provider()
    for status in ("suspended", "onboarding", "pending_review", "rejected"):
        await jiejia.provider(status=status)
    assert await ids(jiejia) == [active]


async def test_nobody_active_is_an_empty_list_not_an_error(jiejia: World) -> None:
    await jiejia.provider(status="suspended")
    assert await ids(jiejia) == []


async def test_inside_the_circle(jiejia: World) -> None:
    """Radius 10 km around the centre: 9 km east is inside, 11 km east is not."""
    provider = await jiejia.provider(radius_km=10)
    assert await ids(jiejia, point=east_of(jiejia.centre, 9)) == [provider]
    assert await ids(jiejia, point=east_of(jiejia.centre, 11)) == []


async def test_inside_the_districts(jiejia: World) -> None:
    provider = await jiejia.provider(radius_km=None, districts=["黄浦区", "静安区"])
    assert await ids(jiejia, district="静安区") == [provider]
    assert await ids(jiejia, district="徐汇区") == []
    assert await ids(jiejia, district="") == []


async def test_a_districts_only_provider_travels_from_the_districts_centre(
    jiejia: World,
) -> None:
    """With no circle there is no base: the travel counted (and kept free) starts at the
    centre of the job's district from the tenant's ``district_centres``, or is the tenant's
    ``district_travel_minutes`` when it names no centre; never 0."""
    await jiejia.provider(radius_km=None, districts=["黄浦区"])
    job = await jiejia.job(district="黄浦区", starts_at=TEN)
    [unknown] = await jiejia.candidates(job)
    assert unknown.travel_minutes == jiejia.tenant.config.policies.booking.district_travel_minutes
    assert unknown.travel_minutes > 0

    centre = east_of(jiejia.centre, 5)
    booking = replace(jiejia.tenant.config.policies.booking, district_centres={"黄浦区": centre})
    config = replace(
        jiejia.tenant.config, policies=replace(jiejia.tenant.config.policies, booking=booking)
    )
    tenant = dataclasses.replace(jiejia.tenant, config=config)
    async with tenant_transaction(jiejia.tenant_id):
        [known] = await find_candidates(
            jiejia.plugins, tenant, jiejia.tenant_id, jiejia.catalog, job, now=NOW
        )
    expected = travel_minutes(centre, jiejia.centre, tenant.config.travel_speed_kmh)
    assert known.travel_minutes == round(expected, 1) and 10 < known.travel_minutes < 30


async def test_the_area_is_the_circle_and_the_districts_together(jiejia: World) -> None:
    """A provider based 30 km away (5 km radius) who also serves 黄浦区 is found there."""
    far = east_of(jiejia.centre, 30)
    provider = await jiejia.provider(base=far, radius_km=5, districts=["黄浦区"])
    assert await ids(jiejia, district="黄浦区") == [provider]
    assert await ids(jiejia, district="徐汇区") == []
    assert await ids(jiejia, district="", point=east_of(far, 2)) == [provider]


async def test_working_then_hours_and_days_off(jiejia: World) -> None:
    mornings = await jiejia.provider(hours={d: ["08:00", "12:00"] for d in ("tue", "wed")})
    day_off = await jiejia.provider(days_off=[TOMORROW.isoformat()])
    weekends = await jiejia.provider(hours={"sat": ["08:00", "20:00"], "sun": ["08:00", "20:00"]})
    assert await ids(jiejia, starts_at=at(TOMORROW, "09:00")) == [mornings]
    # 11:00 + 2 h runs past noon; Thursday is not a working day of ``mornings``.
    assert await ids(jiejia, starts_at=at(TOMORROW, "11:00")) == []
    thursday = TOMORROW + timedelta(days=1)
    assert sorted(await ids(jiejia, starts_at=at(thursday, "09:00"))) == [day_off]
    saturday = date(2026, 3, 14)
    assert sorted(await ids(jiejia, starts_at=at(saturday, "09:00"))) == sorted([day_off, weekends])


async def test_free_including_the_travel_buffer(jiejia: World) -> None:
    """Booked 09:00-11:00 (held 08:30-11:30): a 1-hour job at 07:30 ends at 08:30 and is held
    until 09:00, which overlaps; so do 11:00 and 11:30; 12:00 is free again."""
    provider = await jiejia.provider(hours={d: ["07:00", "20:00"] for d in ("wed",)})
    await _booked(jiejia, provider, "09:00")
    one_hour = {"duration_minutes": 60}
    for taken in ("07:30", "08:00", "10:00", "11:00", "11:30"):
        assert await ids(jiejia, starts_at=at(TOMORROW, taken), **one_hour) == [], taken
    assert await ids(jiejia, starts_at=at(TOMORROW, "07:00"), duration_minutes=30) == [provider]
    assert await ids(jiejia, starts_at=at(TOMORROW, "12:00"), **one_hour) == [provider]


async def test_free_including_travel_from_the_previous_job_and_to_the_next(
    jiejia: World,
) -> None:
    """The provider has jobs 30 km east, 09:00-11:00 and 15:00-17:00; Jiejia's 22 km/h and the
    road factor 1.3 make that 106 minutes away. A 1-hour job at the centre at 12:00 or 12:30
    cannot be reached in time from the first job (12:46); at 13:00 it could, but the provider
    would be late for the next one (14:00 + 106 min > 15:00). The buffers alone would allow all
    three: 15 km away (53 minutes each way), or at the same place, 12:00 fits."""
    provider = await jiejia.provider(radius_km=40)
    far = east_of(jiejia.centre, 30)
    await _booked(jiejia, provider, "09:00", point=far)
    await _booked(jiejia, provider, "15:00", point=far)
    hour = {"duration_minutes": 60}
    for start in ("12:00", "12:30", "13:00"):
        assert await ids(jiejia, starts_at=at(TOMORROW, start), **hour) == [], start
    # Half-way between: 53 minutes from the previous job and to the next one.
    half = east_of(jiejia.centre, 15)
    assert await ids(jiejia, starts_at=at(TOMORROW, "12:00"), point=half, **hour) == [provider]
    # Near both jobs: only the buffers count.
    assert await ids(jiejia, starts_at=at(TOMORROW, "12:00"), point=far, **hour) == [provider]


async def test_a_provider_must_do_every_item_of_a_booking(jiejia: World) -> None:
    both = await jiejia.provider(["housekeeping.home_cleaning", "housekeeping.kitchen_cleaning"])
    await jiejia.provider(["housekeeping.home_cleaning"])
    await jiejia.provider(["housekeeping.kitchen_cleaning"])
    assert await ids(jiejia, more_items=("housekeeping.kitchen_cleaning",)) == [both]


# --- ranking --------------------------------------------------------------------------------


async def test_a_nearer_provider_ranks_first(jiejia: World) -> None:
    far = await jiejia.provider(base=east_of(jiejia.centre, 8))
    near = await jiejia.provider(base=east_of(jiejia.centre, 1))
    assert await ids(jiejia) == [near, far]


async def test_the_rating_is_smoothed_one_five_star_review_ranks_below_a_hundred_at_4_9(
    jiejia: World,
) -> None:
    lucky = await jiejia.provider(rating=(5, 1))
    proven = await jiejia.provider(rating=(490, 100))
    unknown = await jiejia.provider()
    assert await ids(jiejia) == [proven, lucky, unknown]


async def test_quality_counts(jiejia: World) -> None:
    sloppy = await jiejia.provider(quality=0.4)
    careful = await jiejia.provider(quality=0.95)
    assert await ids(jiejia) == [careful, sloppy]


async def test_reliability_providers_who_decline_rank_lower(jiejia: World) -> None:
    """Both were offered three jobs last week; one accepted them, the other declined them."""
    accepts = await jiejia.provider()
    declines = await jiejia.provider()
    customer = await jiejia.customer()
    last_week = NOW - timedelta(days=7)
    for provider, answer in ((accepts, "accepted"), (declines, "declined")):
        for n in range(3):
            booking = await jiejia.book(
                customer,
                jiejia.request(
                    at(TOMORROW + timedelta(days=20 + n), "09:00"), provider_id=provider
                ),
                now=last_week,
            )
            async with tenant_transaction(jiejia.tenant_id):
                await transition(
                    jiejia.tenant,
                    jiejia.tenant_id,
                    booking,
                    answer,
                    Actor(PROVIDER, provider_id=provider),
                    now=last_week,
                )
    ranked = await jiejia.candidates(await jiejia.job(starts_at=TEN))
    assert [c.provider_id for c in ranked] == [accepts, declines]
    reliability = {c.provider_id: _factor(c, "reliability").score for c in ranked}
    assert reliability[accepts] > 0.9 > reliability[declines]


async def test_fairness_a_provider_with_fewer_jobs_today_ranks_first(jiejia: World) -> None:
    busy = await jiejia.provider()
    idle = await jiejia.provider()
    await _booked(jiejia, busy, "16:00")
    ranked = await jiejia.candidates(await jiejia.job(starts_at=TEN))
    assert [c.provider_id for c in ranked] == [idle, busy]
    assert _factor(ranked[1], "fairness").detail == "1 jobs today"


async def test_plugin_adjustments_change_the_order_and_are_explained(jiejia: World) -> None:
    favoured = await jiejia.provider(base=east_of(jiejia.centre, 8))
    other = await jiejia.provider()

    class Favour:
        @hookimpl
        def match_score_adjustments(
            self, tenant: Any, candidate: MatchCandidate
        ) -> list[ScoreAdjustment]:
            if candidate.provider_id != favoured:
                return []
            return [ScoreAdjustment(code="test.favourite", delta=0.2, reason="customer's pick")]

    plugins = build_plugin_manager(extra=[Favour()])
    ranked = await jiejia.candidates(await jiejia.job(starts_at=TEN), plugins=plugins)
    assert [c.provider_id for c in ranked] == [favoured, other]
    assert ranked[0].adjustments == [("test.favourite", 0.2, "customer's pick")]
    assert ranked[1].adjustments == []
    _adds_up(ranked[0])


async def test_every_candidate_carries_an_explanation_that_adds_up_to_its_score(
    jiejia: World,
) -> None:
    for n in range(6):
        await jiejia.provider(
            base=east_of(jiejia.centre, n * 1.5), rating=(n * 9, n * 2), quality=0.5 + n / 20
        )
    ranked = await jiejia.candidates(await jiejia.job(starts_at=TEN))
    assert len(ranked) == 6
    for candidate in ranked:
        assert [f.name for f in candidate.factors] == [
            "travel",
            "rating",
            "quality",
            "reliability",
            "fairness",
        ]
        assert all(f.detail for f in candidate.factors)
        _adds_up(candidate)
    assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)


# --- slots ----------------------------------------------------------------------------------


async def test_slots_are_the_starts_some_eligible_provider_can_reach(jiejia: World) -> None:
    """One provider, 08:00-12:00, booked 09:00-11:00 (held 08:30-11:30): a 1-hour job can start
    nowhere that morning; with a second provider working all day every slot is offered."""
    early = await jiejia.provider(hours={"wed": ["08:00", "12:00"]})
    await _booked(jiejia, early, "09:00")

    async def slots(provider_id: str | None = None) -> list[tuple[str, int]]:
        async with tenant_transaction(jiejia.tenant_id):
            found = await available_slots(
                jiejia.plugins,
                jiejia.tenant,
                jiejia.tenant_id,
                jiejia.catalog,
                item_ref="housekeeping.home_cleaning",
                point=jiejia.centre,
                day=TOMORROW,
                duration_minutes=60,
                district=jiejia.district,
                provider_id=provider_id,
                now=NOW,
            )
        return [(start.isoformat(), count) for start, count in found]

    assert await slots() == []
    all_day = await jiejia.provider()  # works 08:00-20:00
    half_hours = [at(TOMORROW, "08:00") + timedelta(minutes=30 * n) for n in range(23)]
    expected = [(start.isoformat(), 1) for start in half_hours]  # 08:00 ... 19:00
    assert await slots() == expected
    # The customer chose a provider: that provider's starts only.
    assert await slots(all_day) == expected
    assert await slots(early) == []


# --- helpers --------------------------------------------------------------------------------


async def _booked(
    world: World, provider: str, hhmm: str, *, point: tuple[float, float] | None = None
) -> str:
    """A 2-hour booking of ``provider`` tomorrow at ``hhmm`` (daily cleaning, 2 hours)."""
    customer = await world.customer()
    return await world.book(
        customer,
        world.request(
            at(TOMORROW, hhmm),
            tier="daily",
            intake={"area_m2": 60, "hours": 2},
            provider_id=provider,
            point=point,
        ),
    )


def _factor(candidate: Any, name: str) -> Any:
    return next(f for f in candidate.factors if f.name == name)


def _adds_up(candidate: Any) -> None:
    points = sum(f.points for f in candidate.factors) + sum(
        round(delta * 100, 1) for _, delta, _ in candidate.adjustments
    )
    assert candidate.score == pytest.approx(points / 100, abs=1e-9)
