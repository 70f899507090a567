"""Hook implementations of the locksmith vertical (thin: data and rules beside this file)."""

from __future__ import annotations

from pathlib import Path

from core.booking.schemas import BookingDraft, ValidationProblem
from core.catalog.rules import is_night
from core.catalog.schemas import Category, PriceAdjustment, QuoteRequest, ServiceItem, Vertical
from core.catalog.taxonomy import find_item, load_taxonomy
from core.hookspecs import hookimpl
from core.money import Money
from core.tenancy.model import Tenant
from core.verification.schemas import CertificationRequirement, Course
from core.verification.training import load_course
from plugins.locksmith.config import LocksmithConfig

HERE = Path(__file__).resolve().parent
COURSE = HERE / "training.yaml"
SLUG = "locksmith"
POLICE_FILING = CertificationRequirement(
    code="police_filing",
    label={"zh_CN": "公安备案", "en": "Police filing"},
)


@hookimpl
def register_vertical() -> Vertical:
    return Vertical(
        slug=SLUG,
        label={"zh_CN": "开锁换锁", "en": "Locksmith"},
        config_type=LocksmithConfig,
        templates_dir=HERE / "templates",
        locale_dir=HERE / "locale",
        icon="🔑",
    )


@hookimpl
def service_taxonomy(tenant: Tenant) -> list[Category]:
    return load_taxonomy(HERE / "taxonomy.yaml", SLUG)


@hookimpl
def required_certifications(tenant: Tenant, item: ServiceItem) -> list[CertificationRequirement]:
    """Every locksmith job, including a tenant's own locksmith items, needs a police filing."""
    return [POLICE_FILING] if item.vertical == SLUG else []


@hookimpl
def validate_booking(tenant: Tenant, draft: BookingDraft) -> list[ValidationProblem]:
    """Unlock jobs (a tenant's own included) record the customer's proof of residence or
    ownership before opening."""
    if draft.vertical != SLUG:
        return []
    own = tenant.vertical_config(SLUG, LocksmithConfig).extra_items
    item = find_item(service_taxonomy(tenant), draft.item) or next(
        (extra.item for extra in own if extra.item.key == draft.item), None
    )
    if item is None or "unlock" not in item.tags:
        return []
    if not draft.intake.get("proof_type"):
        return [
            ValidationProblem(
                field="intake.proof_type",
                reason="proof of residence or ownership is recorded before an unlock",
            )
        ]
    return []


@hookimpl
def price_adjustments(tenant: Tenant, request: QuoteRequest, base: Money) -> list[PriceAdjustment]:
    """Night and urgent surcharges."""
    if request.item.vertical != SLUG:
        return []
    config = tenant.vertical_config(SLUG, LocksmithConfig)
    found = []
    if is_night(
        request.when, tenant.config.timezone, config.night_start_hour, config.night_end_hour
    ):
        found.append(
            PriceAdjustment(
                code="locksmith.night_surcharge",
                reason={"zh_CN": "夜间服务费", "en": "Night service"},
                amount=Money(config.night_surcharge_fen, base.currency),
                priority=60,
            )
        )
    if request.urgent:
        found.append(
            PriceAdjustment(
                code="locksmith.urgent_surcharge",
                reason={"zh_CN": "加急上门（2 小时内）", "en": "Urgent (within 2 hours)"},
                amount=Money(config.urgent_surcharge_fen, base.currency),
                priority=50,
            )
        )
    return found


@hookimpl
def training_courses(tenant: Tenant) -> list[Course]:
    return [load_course(COURSE, SLUG)]
