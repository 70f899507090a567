"""Tutoring, in the parents' words: lessons, packages, the trial lesson, minors' safety."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.booking.schemas import BookingDraft, ValidationProblem
from core.catalog.schemas import QuoteRequest
from core.catalog.service import item_requirements
from core.money import Money
from core.tenancy.model import Tenant
from tests.catalog.helpers import (
    TOMORROW_10,
    catalog_of,
    check_tenant,
    copy_tenants,
    edit_tenant,
    flat,
    line_label,
    lines,
    price,
    problem_keys,
    set_vertical,
    tenant_with,
)

MATH = "tutoring.math"
ADULT = {"student_age": 30}


def lesson(**intake: Any) -> dict[str, Any]:
    """A grade-8 pupil of 13 by default."""
    return {"grade": "g8", "student_age": 13, "guardian_name": "王芳", **intake}


def test_the_price_is_the_hourly_rate_of_subject_and_level_x_hours_x_lessons(
    plugins, wanjia: Tenant
) -> None:
    one = price(plugins, wanjia, MATH, "middle", lesson(hours=2, lessons=1))
    four = price(plugins, wanjia, MATH, "middle", lesson(hours=2, lessons=4))
    high = price(plugins, wanjia, MATH, "high", lesson(grade="g11", hours=1, lessons=3))

    assert lines(one) == {"base": 2 * 20_000}
    assert lines(four) == {"base": 4 * 2 * 20_000}
    assert lines(high) == {"base": 3 * 1 * 26_000}


def test_a_lesson_lasts_the_hours_booked(plugins, wanjia: Tenant) -> None:
    assert price(plugins, wanjia, MATH, "middle", lesson(hours=3)).duration_minutes == 180


def test_a_10_lesson_package_gets_the_package_discount(plugins, wanjia: Tenant) -> None:
    found = price(plugins, wanjia, MATH, "middle", lesson(hours=2, lessons=10))

    # 10 lessons x 2 h x ¥200 = ¥4,000, less 5 %
    assert lines(found) == {"base": 400_000, "tutoring.package_discount": -20_000}
    assert found.total_fen == 380_000
    assert line_label(found, "tutoring.package_discount") == "10-lesson package discount"
    assert line_label(found, "tutoring.package_discount", "zh_CN") == "10 节课套餐优惠"


def test_a_20_lesson_package_gets_the_bigger_discount(plugins, wanjia: Tenant) -> None:
    found = price(plugins, wanjia, MATH, "middle", lesson(hours=2, lessons=20))

    assert lines(found) == {"base": 800_000, "tutoring.package_discount": -80_000}
    assert found.total_fen == 720_000


@pytest.mark.parametrize(("lessons", "discount_bps"), [(9, 0), (15, 500), (19, 500), (25, 1000)])
def test_lessons_between_packages_get_the_package_they_complete(
    plugins, wanjia: Tenant, lessons: int, discount_bps: int
) -> None:
    found = price(
        plugins, wanjia, "tutoring.english", "primary", lesson(grade="g3", hours=1, lessons=lessons)
    )

    base = lessons * 15_000
    assert found.total_fen == base - base * discount_bps // 10_000


def test_a_trial_lesson_has_one_fixed_price_whatever_the_level(plugins, wanjia: Tenant) -> None:
    trials = [
        price(plugins, wanjia, MATH, "primary", lesson(grade="g2", trial=True)),
        price(plugins, wanjia, MATH, "high", lesson(grade="g12", hours=3, trial=True)),
        price(plugins, wanjia, "tutoring.piano", "exam", {**ADULT, "trial": True}),
    ]

    assert [lines(t) for t in trials] == [{"base": 9900}] * 3


def test_a_trial_lesson_is_never_discounted_as_a_package(plugins, wanjia: Tenant) -> None:
    found = price(plugins, wanjia, MATH, "middle", lesson(trial=True, lessons=10))

    assert lines(found) == {"base": 9900}


def test_a_tenant_sets_its_own_trial_price_and_packages(tmp_path: Path, settings, plugins) -> None:
    tenant = tenant_with(
        tmp_path,
        settings,
        plugins,
        "wanjia",
        "tutoring",
        {"trial_lesson_fen": 4900, "package_discounts_bps": {8: 800}},
    )

    assert price(plugins, tenant, MATH, "middle", lesson(trial=True)).total_fen == 4900
    eight = price(plugins, tenant, MATH, "middle", lesson(hours=1, lessons=8))
    assert lines(eight) == {"base": 160_000, "tutoring.package_discount": -12_800}
    # 10 lessons are no package of this tenant's beyond its 8-lesson one
    assert (
        lines(price(plugins, tenant, MATH, "middle", lesson(hours=1, lessons=10)))[
            "tutoring.package_discount"
        ]
        == -16_000
    )


def test_a_trial_lesson_is_priced_in_the_tenants_currency(
    tmp_path: Path, settings, plugins
) -> None:
    path = edit_tenant(copy_tenants(tmp_path), "wanjia", lambda data: data.update(currency="HKD"))
    tenant, problems = check_tenant(settings, plugins, path)
    assert problems == []
    assert tenant is not None
    item = catalog_of(plugins, tenant).item(MATH)
    assert item is not None
    tier = item.tiers[0]
    request = QuoteRequest(
        item=item,
        tier=tier,
        intake={"trial": True},
        when=TOMORROW_10,
        unit_price_fen=tier.price_fen,
    )

    assert plugins.for_tenant(tenant).base_price(request=request) == Money(9900, "HKD")


@pytest.mark.parametrize(
    ("block", "key"),
    [
        ({"trial_lesson_fen": -1}, "verticals.tutoring.trial_lesson_fen"),
        ({"package_discounts_bps": {10: 12_000}}, 'verticals.tutoring.package_discounts_bps["10"]'),
        ({"adult_age": 3}, "verticals.tutoring.adult_age"),
    ],
)
def test_impossible_tutoring_settings_are_refused_naming_the_key(
    tmp_path: Path, settings, plugins, block: dict[str, Any], key: str
) -> None:
    path = edit_tenant(copy_tenants(tmp_path), "wanjia", set_vertical("tutoring", block))

    tenant, problems = check_tenant(settings, plugins, path)

    assert tenant is None
    assert list(problem_keys(problems)) == [key]


def test_teaching_a_minor_requires_a_no_criminal_record_certificate(
    plugins, wanjia: Tenant
) -> None:
    tutoring = [i for i in catalog_of(plugins, wanjia).items if i.vertical == "tutoring"]
    assert {i.key for i in tutoring} == {
        "math",
        "chinese",
        "english",
        "physics",
        "chemistry",
        "piano",
    }

    for item in tutoring:
        required = {r.code: r for r in item_requirements(plugins, wanjia, item)}
        assert required["teacher_qualification"].applies_when == "", item.ref
        record = required["no_criminal_record"]
        assert record.applies_when == "minor_student", item.ref
        assert record.label == {"zh_CN": "无犯罪记录证明", "en": "No-criminal-record certificate"}


# --- booking checks ----------------------------------------------------------------------------


def booking_problems(
    plugins, tenant: Tenant, tier: str = "middle", **intake: Any
) -> list[ValidationProblem]:  # type: ignore[no-untyped-def]
    draft = BookingDraft(
        vertical="tutoring", item="math", tier=tier, starts_at=TOMORROW_10, intake=intake
    )
    return flat(plugins.for_tenant(tenant).validate_booking(draft=draft))


def fields(problems: list[ValidationProblem]) -> list[str]:
    return [p.field for p in problems]


def test_a_minors_booking_names_a_guardian(plugins, wanjia: Tenant) -> None:
    without = booking_problems(plugins, wanjia, grade="g8", student_age=13)
    blank = booking_problems(plugins, wanjia, grade="g8", student_age=13, guardian_name="  ")
    named = booking_problems(plugins, wanjia, grade="g8", student_age=13, guardian_name="王芳")

    assert fields(without) == ["intake.guardian_name"]
    assert without[0].reason == "a minor needs a named guardian"
    assert fields(blank) == ["intake.guardian_name"]
    assert named == []


def test_an_adult_student_needs_no_guardian(plugins, wanjia: Tenant) -> None:
    assert booking_problems(plugins, wanjia, tier="high", grade="g12", student_age=18) == []


def test_an_age_typed_into_a_form_still_makes_a_minor(plugins, wanjia: Tenant) -> None:
    """A form sends "13", not 13: the pupil is a minor all the same."""
    assert fields(booking_problems(plugins, wanjia, grade="g8", student_age="13")) == [
        "intake.guardian_name"
    ]


def test_a_booking_without_the_students_age_is_refused(plugins, wanjia: Tenant) -> None:
    """Without an age nobody can tell whether a guardian is needed: ask for it."""
    assert "intake.student_age" in fields(booking_problems(plugins, wanjia, grade="g8"))


def test_a_trial_books_a_single_lesson(plugins, wanjia: Tenant) -> None:
    """Ten lessons at the trial price would be a loophole: the booking is refused."""
    pupil = {"grade": "g8", "student_age": 13, "guardian_name": "王芳", "trial": True}

    assert booking_problems(plugins, wanjia, **pupil, lessons=1) == []
    [problem] = booking_problems(plugins, wanjia, **pupil, lessons="10")
    assert (problem.field, problem.reason) == ("intake.lessons", "a trial is a single lesson")


def test_a_grade_8_student_cannot_book_a_primary_level_tier(plugins, wanjia: Tenant) -> None:
    primary = booking_problems(
        plugins, wanjia, tier="primary", grade="g8", student_age=13, guardian_name="王芳"
    )
    middle = booking_problems(
        plugins, wanjia, tier="middle", grade="g8", student_age=13, guardian_name="王芳"
    )

    assert fields(primary) == ["intake.grade"]
    assert primary[0].reason == "grade is not taught at primary level"
    assert middle == []


def test_a_minor_at_the_wrong_level_without_a_guardian_hears_both_problems(
    plugins, wanjia: Tenant
) -> None:
    found = booking_problems(plugins, wanjia, tier="high", grade="g8", student_age=13)

    assert sorted(fields(found)) == ["intake.grade", "intake.guardian_name"]


def test_tutoring_checks_do_not_run_where_tutoring_is_not_offered(plugins, jiejia: Tenant) -> None:
    assert booking_problems(plugins, jiejia, grade="g8", student_age=13) == []
