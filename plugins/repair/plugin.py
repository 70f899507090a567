"""Hook implementations of the home-repair vertical (thin: data and rules beside this file)."""

from __future__ import annotations

from pathlib import Path

from core.catalog.rules import is_night, share_of
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
from plugins.repair.config import RepairConfig

HERE = Path(__file__).resolve().parent
COURSE = HERE / "training.yaml"
SLUG = "repair"
ELECTRICIAN_LICENCE = CertificationRequirement(
    code="electrician_licence", label=certificate_label("electrician_licence")
)


@hookimpl
def register_vertical() -> Vertical:
    return Vertical(
        slug=SLUG,
        label={"zh_CN": "家电维修", "en": "Home repair"},
        config_type=RepairConfig,
        templates_dir=HERE / "templates",
        locale_dir=HERE / "locale",
        icon="🔧",
    )


@hookimpl
def service_taxonomy(tenant: Tenant) -> list[Category]:
    return load_taxonomy(HERE / "taxonomy.yaml", SLUG)


@hookimpl
def required_certifications(tenant: Tenant, item: ServiceItem) -> list[CertificationRequirement]:
    """Electrical work (items tagged ``electrical``, a tenant's own included) needs an
    electrician's licence (特种作业操作证, electrician class)."""
    return [ELECTRICIAN_LICENCE] if item.vertical == SLUG and "electrical" in item.tags else []


@hookimpl
def price_adjustments(tenant: Tenant, request: QuoteRequest, base: Money) -> list[PriceAdjustment]:
    """Call-out fee, parts at cost with a capped markup, urgent and night surcharges."""
    if request.item.vertical != SLUG:
        return []
    config = tenant.vertical_config(SLUG, RepairConfig)
    currency = base.currency
    found = [
        PriceAdjustment(
            code="repair.call_out_fee",
            reason={"zh_CN": "上门检测费", "en": "Call-out and diagnosis fee"},
            amount=Money(config.call_out_fee_fen, currency),
            priority=10,
        )
    ]
    parts = int(request.intake.get("parts_cost_fen") or 0)
    if parts:
        markup = share_of(parts, min(config.parts_markup_bps, config.parts_markup_cap_bps))
        found.append(
            PriceAdjustment(
                code="repair.parts",
                reason={"zh_CN": "配件（成本价+服务费）", "en": "Parts at cost plus handling"},
                amount=Money(parts + markup, currency),
                priority=20,
            )
        )
    if request.urgent:
        found.append(
            PriceAdjustment(
                code="repair.urgent_surcharge",
                reason={"zh_CN": "加急上门（2 小时内）", "en": "Urgent (within 2 hours)"},
                amount=Money(config.urgent_surcharge_fen, currency),
                priority=50,
            )
        )
    if is_night(
        request.when, tenant.config.timezone, config.night_start_hour, config.night_end_hour
    ):
        found.append(
            PriceAdjustment(
                code="repair.night_surcharge",
                reason={"zh_CN": "夜间服务费", "en": "Night service"},
                amount=Money(config.night_surcharge_fen, currency),
                priority=60,
            )
        )
    return found


@hookimpl
def training_courses(tenant: Tenant) -> list[Course]:
    return [load_course(COURSE, SLUG)]
