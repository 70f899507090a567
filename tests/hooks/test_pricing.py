"""Pricing hooks: base_price (firstresult) and price_adjustments."""

from __future__ import annotations

from core.catalog.schemas import PriceAdjustment, QuoteRequest
from core.money import Money
from core.tenancy.model import Tenant
from tests.hooks.host import (
    GARDENING,
    GARDENING_VERTICAL,
    PEST_CONTROL,
    PEST_CONTROL_VERTICAL,
    GardeningConfig,
    PestControlConfig,
    concatenated,
    host,
    plugin,
    quote_request,
    service_item,
    vertical_plugin,
)

HEDGES = service_item(GARDENING, "hedges")
TERMITES = service_item(PEST_CONTROL, "termites")


def hedge_price(tenant: Tenant, request: QuoteRequest) -> Money | None:
    if request.item.vertical != GARDENING:
        return None
    per_metre = tenant.vertical_config(GARDENING, GardeningConfig).hedge_price_fen_per_m
    return Money(request.quantity * per_metre, tenant.config.currency)


def pest_price(tenant: Tenant, request: QuoteRequest) -> Money | None:
    if request.item.vertical != PEST_CONTROL:
        return None
    return Money(tenant.vertical_config(PEST_CONTROL, PestControlConfig).flat_fee_fen)


def test_hook_base_price(jiejia: Tenant, garden: Tenant, garden_and_pests: Tenant) -> None:
    """The owning vertical prices its item; a plugin answering None does not stop the call."""
    pm = host(
        vertical_plugin(GARDENING_VERTICAL, base_price=hedge_price),
        vertical_plugin(PEST_CONTROL_VERTICAL, base_price=pest_price),
        plugin("no-opinion", base_price=lambda tenant, request: None),
    )
    ten_metres = quote_request(HEDGES, quantity=10)
    termites = quote_request(TERMITES)

    # garden's own per-metre price (1800 fen), the default one (1500) elsewhere
    assert pm.for_tenant(garden).base_price(request=ten_metres) == Money(18000, "CNY")
    assert pm.for_tenant(garden_and_pests).base_price(request=ten_metres) == Money(15000, "CNY")
    assert pm.for_tenant(garden_and_pests).base_price(request=termites) == Money(30000)
    # where gardening is not enabled its pricing is left out: core's default answers last,
    # list price per unit x quantity
    assert pm.for_tenant(jiejia).base_price(request=ten_metres) == Money(10 * 10000)
    assert pm.for_tenant(garden).base_price(request=termites) == Money(10000)


def test_hook_base_price_stops_at_the_first_answer(garden: Tenant) -> None:
    """Two plugins answering: the most recently registered one's price is the price."""
    pm = host(
        vertical_plugin(GARDENING_VERTICAL, base_price=hedge_price),
        plugin("flat-rate", base_price=lambda tenant, request: Money(9900)),
    )
    assert pm.for_tenant(garden).base_price(request=quote_request(HEDGES, 10)) == Money(9900)


def green_waste(tenant: Tenant, request: QuoteRequest, base: Money) -> list[PriceAdjustment]:
    if request.item.vertical != GARDENING or not request.intake.get("green_waste"):
        return []
    return [
        PriceAdjustment(
            code="gardening.green_waste",
            reason={"en": "Green waste removal"},
            amount=Money(base.amount_fen // 10, base.currency),
            priority=50,
        )
    ]


def first_order(tenant: Tenant, request: QuoteRequest, base: Money) -> list[PriceAdjustment]:
    return [PriceAdjustment(code="promo.first_order", reason={"en": "Welcome"}, amount=Money(-500))]


def test_hook_price_adjustments(jiejia: Tenant, garden: Tenant) -> None:
    """Surcharges come from enabled verticals only; every adjustment keeps its code and reason."""
    pm = host(
        vertical_plugin(GARDENING_VERTICAL, price_adjustments=green_waste),
        plugin("promo", price_adjustments=first_order),
    )
    request = quote_request(HEDGES, quantity=10, green_waste=True)
    base = Money(18000)

    def adjustments(tenant: Tenant) -> dict[str, int]:
        found = concatenated(pm.for_tenant(tenant).price_adjustments(request=request, base=base))
        return {a.code: a.amount.amount_fen for a in found}

    assert adjustments(garden) == {"promo.first_order": -500, "gardening.green_waste": 1800}
    assert adjustments(jiejia) == {"promo.first_order": -500}
