"""Bad input to a quote: a clear refusal naming every wrong field, never a price or a crash."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from core.tenancy.model import Tenant
from tests.catalog.helpers import NOW, TOMORROW_10, price, refusal

HOME = "housekeeping.home_cleaning"


def refused(
    plugins, tenant: Tenant, item: str, tier: str, intake: dict[str, Any], **kw: Any
) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return refusal(lambda: price(plugins, tenant, item, tier, intake, **kw))


@pytest.mark.parametrize(
    ("area", "reason"),
    [
        (-5, "must be at least 10"),
        (0, "must be at least 10"),
        (9, "must be at least 10"),
        (1001, "must be at most 1000"),
        (100_000, "must be at most 1000"),
        (10**30, "must be at most 1000"),
    ],
)
def test_a_negative_or_absurd_area_is_refused(
    plugins, jiejia: Tenant, area: int, reason: str
) -> None:
    assert refused(plugins, jiejia, HOME, "deep", {"area_m2": area}) == {"intake.area_m2": reason}


def test_the_smallest_and_largest_areas_are_priced(plugins, jiejia: Tenant) -> None:
    assert price(plugins, jiejia, HOME, "deep", {"area_m2": 10}).quantity == 10
    assert price(plugins, jiejia, HOME, "deep", {"area_m2": 1000}).total_fen == 900_000


@pytest.mark.parametrize(
    "value",
    ["abc", 3.5, 120.0, True, [120], {"m2": 120}, "12 0", "--120", "-", "²", "9" * 5000],
)
def test_an_area_that_is_not_a_whole_number_is_refused(plugins, jiejia: Tenant, value: Any) -> None:
    assert refused(plugins, jiejia, HOME, "deep", {"area_m2": value}) == {
        "intake.area_m2": "must be a whole number"
    }


def test_an_area_typed_as_digits_is_read_as_a_number(plugins, jiejia: Tenant) -> None:
    assert price(plugins, jiejia, HOME, "deep", {"area_m2": " 120 "}).total_fen == 108_000


def test_a_missing_area_is_asked_for(plugins, jiejia: Tenant) -> None:
    assert refused(plugins, jiejia, HOME, "deep", {}) == {"intake.area_m2": "is required"}
    assert refused(plugins, jiejia, HOME, "deep", {"area_m2": ""}) == {
        "intake.area_m2": "is required"
    }


def test_an_unknown_tier_is_refused_naming_the_tiers_offered(plugins, jiejia: Tenant) -> None:
    problems = refused(plugins, jiejia, HOME, "spotless", {"area_m2": 80})

    assert problems == {"tier": "unknown tier 'spotless' (offered: daily, deep, move_in)"}


@pytest.mark.parametrize("item", ["housekeeping.sofa", "home_cleaning", "", "repair.leak_repair"])
def test_an_unknown_service_is_refused(plugins, jiejia: Tenant, item: str) -> None:
    """Jiejia offers no repairs: a repair item is as unknown there as a made-up one."""
    problems = refused(plugins, jiejia, item, "deep", {"area_m2": 80})

    assert problems == {"item": f"unknown service {item!r}"}


def test_an_intake_key_the_service_does_not_ask_is_refused(plugins, jiejia: Tenant) -> None:
    problems = refused(plugins, jiejia, HOME, "deep", {"area_m2": 80, "floors": 2})

    assert problems == {"intake.floors": "not asked for this service"}


def test_hours_are_asked_only_for_daily_cleaning(plugins, jiejia: Tenant) -> None:
    """Deep cleaning is priced by area: hours given with it would silently mean nothing."""
    assert refused(plugins, jiejia, HOME, "deep", {"area_m2": 80, "hours": 3}) == {
        "intake.hours": "not asked for this service"
    }


@pytest.mark.parametrize(("hours", "reason"), [(1, "must be at least 2"), (9, "must be at most 8")])
def test_hours_out_of_range_are_refused(plugins, jiejia: Tenant, hours: int, reason: str) -> None:
    assert refused(plugins, jiejia, HOME, "daily", {"area_m2": 80, "hours": hours}) == {
        "intake.hours": reason
    }


def test_a_yes_no_answer_must_be_true_or_false(plugins, jiejia: Tenant) -> None:
    assert refused(plugins, jiejia, HOME, "deep", {"area_m2": 80, "pets": "yes"}) == {
        "intake.pets": "must be true or false"
    }


def test_a_choice_outside_the_list_is_refused(plugins, wanjia: Tenant) -> None:
    problems = refused(plugins, wanjia, "repair.air_conditioner", "repair", {"brand": "acme"})

    assert problems == {"intake.brand": "must be one of: gree, midea, haier, daikin, other"}


def test_an_overlong_text_is_refused(plugins, wanjia: Tenant) -> None:
    intake = {"grade": "g8", "student_age": 13, "guardian_name": "王" * 201}

    assert refused(plugins, wanjia, "tutoring.math", "middle", intake) == {
        "intake.guardian_name": "must be text of at most 200 characters"
    }


def test_an_add_on_not_offered_with_the_service_is_refused(plugins, jiejia: Tenant) -> None:
    kitchen = refused(
        plugins, jiejia, "housekeeping.kitchen_cleaning", "standard", {}, addons=["windows"]
    )
    made_up = refused(
        plugins, jiejia, HOME, "deep", {"area_m2": 80}, addons=["windows", "gold_leaf"]
    )

    assert kitchen == {"addons.windows": "not offered with this service"}
    assert made_up == {"addons.gold_leaf": "not offered with this service"}


def test_a_time_without_a_time_zone_is_refused(plugins, jiejia: Tenant) -> None:
    naive = datetime(2026, 3, 11, 10, 0)

    assert refused(plugins, jiejia, HOME, "deep", {"area_m2": 80}, when=naive) == {
        "when": "must include a time zone"
    }


def test_a_time_in_the_past_is_refused(plugins, jiejia: Tenant) -> None:
    yesterday = NOW - timedelta(days=1)

    assert refused(plugins, jiejia, HOME, "deep", {"area_m2": 80}, when=yesterday) == {
        "when": "is in the past"
    }
    # a few minutes late (the form took a while) is still today's job
    late = price(plugins, jiejia, HOME, "deep", {"area_m2": 80}, when=NOW - timedelta(minutes=3))
    assert (late.total_fen, late.urgent) == (72_000, True)


def test_every_wrong_field_is_named_at_once(plugins, jiejia: Tenant) -> None:
    problems = refused(
        plugins,
        jiejia,
        HOME,
        "daily",
        {"area_m2": -5, "hours": "abc", "pets": 1, "colour": "blue"},
        addons=["gold_leaf"],
        when=datetime(2026, 3, 11, 10, 0),
    )

    assert sorted(problems) == [
        "addons.gold_leaf",
        "intake.area_m2",
        "intake.colour",
        "intake.hours",
        "intake.pets",
        "when",
    ]


def test_a_quote_without_a_time_is_a_price_without_surcharges(plugins, wanjia: Tenant) -> None:
    """Browsing prices before choosing a slot: no time, so no urgent or night surcharge."""
    found = price(plugins, wanjia, "locksmith.lock_change", "grade_b", when=None)

    assert (found.when, found.urgent, found.total_fen) == (None, False, 15_000)
    assert found == price(plugins, wanjia, "locksmith.lock_change", "grade_b", when=None)
    assert (
        found.total_fen
        == price(plugins, wanjia, "locksmith.lock_change", "grade_b", when=TOMORROW_10).total_fen
    )
