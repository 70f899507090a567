"""Hook implementations of the tutoring vertical (thin: data and rules beside this file)."""

from __future__ import annotations

from pathlib import Path

from core.booking.schemas import BookingDraft, ValidationProblem
from core.catalog.rules import share_of
from core.catalog.schemas import Category, PriceAdjustment, QuoteRequest, ServiceItem, Vertical
from core.catalog.taxonomy import load_taxonomy
from core.hookspecs import hookimpl
from core.money import Money
from core.tenancy.model import Tenant
from core.verification.schemas import CertificationRequirement, Course
from core.verification.training import load_course
from plugins.tutoring.config import TutoringConfig

HERE = Path(__file__).resolve().parent
COURSE = HERE / "training.yaml"
SLUG = "tutoring"
GRADES_BY_LEVEL = {"primary": range(1, 7), "middle": range(7, 10), "high": range(10, 13)}
NO_CRIMINAL_RECORD = CertificationRequirement(
    code="no_criminal_record",
    label={"zh_CN": "无犯罪记录证明", "en": "No-criminal-record certificate"},
    applies_when="minor_student",
)


@hookimpl
def register_vertical() -> Vertical:
    return Vertical(
        slug=SLUG,
        label={"zh_CN": "家教辅导", "en": "Tutoring"},
        config_type=TutoringConfig,
        templates_dir=HERE / "templates",
        locale_dir=HERE / "locale",
        icon="📚",
    )


@hookimpl
def service_taxonomy(tenant: Tenant) -> list[Category]:
    return load_taxonomy(HERE / "taxonomy.yaml", SLUG)


@hookimpl
def required_certifications(tenant: Tenant, item: ServiceItem) -> list[CertificationRequirement]:
    """Teaching a minor needs a no-criminal-record certificate on top of the qualification."""
    return [NO_CRIMINAL_RECORD] if item.vertical == SLUG else []


def _whole(intake: dict[str, object], key: str) -> int | None:
    """An intake answer as a number, also when a form sent it as text ("13")."""
    value = intake.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) < 6:
        return int(value.strip())
    return None


def student_age(intake: dict[str, object]) -> int | None:
    return _whole(intake, "student_age")


def is_minor(tenant: Tenant, intake: dict[str, object]) -> bool:
    age = student_age(intake)
    config = tenant.vertical_config(SLUG, TutoringConfig)
    return age is not None and age < config.adult_age


@hookimpl(tryfirst=True)
def base_price(tenant: Tenant, request: QuoteRequest) -> Money | None:
    """Lessons x hours x hourly rate; a trial lesson has one fixed price."""
    if request.item.vertical != SLUG:
        return None
    if request.intake.get("trial"):
        trial = tenant.vertical_config(SLUG, TutoringConfig).trial_lesson_fen
        return Money(trial, tenant.config.currency)
    lessons = int(request.intake.get("lessons") or 1)
    return Money(request.unit_price_fen * request.quantity * lessons, tenant.config.currency)


@hookimpl
def price_adjustments(tenant: Tenant, request: QuoteRequest, base: Money) -> list[PriceAdjustment]:
    """Package discount for 10 or 20 lessons booked together (never on a trial)."""
    if request.item.vertical != SLUG or request.intake.get("trial"):
        return []
    lessons = int(request.intake.get("lessons") or 1)
    config = tenant.vertical_config(SLUG, TutoringConfig)
    eligible = [size for size in config.package_discounts_bps if lessons >= size]
    if not eligible:
        return []
    size = max(eligible)
    bps = config.package_discounts_bps[size]
    return [
        PriceAdjustment(
            code="tutoring.package_discount",
            reason={"zh_CN": f"{size} 节课套餐优惠", "en": f"{size}-lesson package discount"},
            amount=Money(-share_of(base.amount_fen, bps), base.currency),
            priority=200,
        )
    ]


def _guardian(intake: dict[str, object]) -> str:
    return str(intake.get("guardian_name") or "").strip()


@hookimpl
def validate_booking(tenant: Tenant, draft: BookingDraft) -> list[ValidationProblem]:
    """The student's age is known; a minor has a named guardian; a trial is one lesson; the
    grade belongs to the booked school level."""
    if draft.vertical != SLUG:
        return []
    problems = []
    if student_age(draft.intake) is None:
        problems.append(
            ValidationProblem(
                field="intake.student_age",
                reason="the student's age tells whether a guardian must be named",
            )
        )
    elif is_minor(tenant, draft.intake) and not _guardian(draft.intake):
        problems.append(
            ValidationProblem(field="intake.guardian_name", reason="a minor needs a named guardian")
        )
    if draft.intake.get("trial") is True and (_whole(draft.intake, "lessons") or 1) > 1:
        problems.append(
            ValidationProblem(field="intake.lessons", reason="a trial is a single lesson")
        )
    grade = str(draft.intake.get("grade") or "")
    levels = GRADES_BY_LEVEL.get(draft.tier)
    if levels and grade.startswith("g") and grade[1:].isdigit() and int(grade[1:]) not in levels:
        problems.append(
            ValidationProblem(
                field="intake.grade", reason=f"grade is not taught at {draft.tier} level"
            )
        )
    return problems


@hookimpl
def training_courses(tenant: Tenant) -> list[Course]:
    return [load_course(COURSE, SLUG)]
