"""Hook implementations of the housekeeping vertical (thin: data and rules beside this file)."""

from __future__ import annotations

from pathlib import Path

from core.catalog.schemas import (
    Category,
    PriceAdjustment,
    QuoteRequest,
    ServiceItem,
    Vertical,
)
from core.catalog.taxonomy import load_taxonomy
from core.hookspecs import hookimpl
from core.money import Money
from core.tenancy.model import Tenant
from core.verification.certificates import certificate_label
from core.verification.schemas import CertificationRequirement, Course
from core.verification.training import load_course
from plugins.housekeeping.config import HousekeepingConfig

HERE = Path(__file__).resolve().parent
COURSE = HERE / "training.yaml"
SLUG = "housekeeping"
EVERY_PROVIDER = tuple(
    CertificationRequirement(code=code, label=certificate_label(code))
    for code in ("health_certificate", "housekeeping_training")
)


@hookimpl
def register_vertical() -> Vertical:
    return Vertical(
        slug=SLUG,
        label={"zh_CN": "家政保洁", "en": "Housekeeping"},
        config_type=HousekeepingConfig,
        templates_dir=HERE / "templates",
        locale_dir=HERE / "locale",
        icon="🧹",
    )


@hookimpl
def service_taxonomy(tenant: Tenant) -> list[Category]:
    return load_taxonomy(HERE / "taxonomy.yaml", SLUG)


@hookimpl
def required_certifications(tenant: Tenant, item: ServiceItem) -> list[CertificationRequirement]:
    """Everyone working in homes holds a health certificate and housekeeping training,
    whatever the item, a tenant's own items included."""
    return list(EVERY_PROVIDER) if item.vertical == SLUG else []


@hookimpl
def price_adjustments(tenant: Tenant, request: QuoteRequest, base: Money) -> list[PriceAdjustment]:
    """The minimum charge: a small visit is topped up to the tenant's minimum, once per visit
    (on its last item, judged on the whole visit when a booking has several items)."""
    if request.item.vertical != SLUG or not request.visit_last:
        return []
    config = tenant.vertical_config(SLUG, HousekeepingConfig)
    visit_fen = request.visit_others_fen + base.amount_fen
    if visit_fen >= config.minimum_charge_fen:
        return []
    return [
        PriceAdjustment(
            code="housekeeping.minimum_charge",
            reason={"zh_CN": "最低消费补足", "en": "Top-up to the minimum charge"},
            amount=Money(config.minimum_charge_fen - visit_fen, base.currency),
            priority=900,
        )
    ]


@hookimpl
def training_courses(tenant: Tenant) -> list[Course]:
    return [load_course(COURSE, SLUG)]
