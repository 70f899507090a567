"""Catalogue hooks: service_taxonomy and intake_fields, called per tenant."""

from __future__ import annotations

from core.catalog.schemas import Category, IntakeField, ServiceItem
from core.tenancy.model import Tenant
from tests.hooks.host import (
    GARDENING,
    GARDENING_VERTICAL,
    PEST_CONTROL,
    PEST_CONTROL_VERTICAL,
    GardeningConfig,
    category,
    concatenated,
    host,
    plugin,
    service_item,
    vertical_plugin,
)

TEST_VERTICALS = {GARDENING, PEST_CONTROL}


def gardening_taxonomy(tenant: Tenant) -> list[Category]:
    off = tenant.vertical_config(GARDENING, GardeningConfig).disabled_items
    items = [service_item(GARDENING, key) for key in ("hedges", "lawns") if key not in off]
    return [category(GARDENING, "outdoor", items)]


def test_hook_service_taxonomy(jiejia: Tenant, garden: Tenant, garden_and_pests: Tenant) -> None:
    """A tenant's catalogue holds the categories of the verticals it enabled, and only those."""
    pm = host(
        vertical_plugin(GARDENING_VERTICAL, service_taxonomy=gardening_taxonomy),
        vertical_plugin(
            PEST_CONTROL_VERTICAL,
            service_taxonomy=lambda tenant: [
                category(PEST_CONTROL, "insects", [service_item(PEST_CONTROL, "termites")])
            ],
        ),
    )

    def catalogue(tenant: Tenant) -> list[str]:
        categories = concatenated(pm.for_tenant(tenant).service_taxonomy())
        return [
            f"{c.vertical}.{c.key}: {', '.join(i.key for i in c.items)}"
            for c in categories
            if c.vertical in TEST_VERTICALS
        ]

    assert catalogue(jiejia) == []
    # garden switched lawns off in its gardening block
    assert catalogue(garden) == ["gardening.outdoor: hedges"]
    # concatenated, the most recently registered plugin first
    assert catalogue(garden_and_pests) == [
        "pestcontrol.insects: termites",
        "gardening.outdoor: hedges, lawns",
    ]


def hedge_questions(tenant: Tenant, item: ServiceItem) -> list[IntakeField]:
    if item.vertical != GARDENING:
        return []
    return [IntakeField(key="hedge_length_m", label={"en": "Hedge length"}, kind="int", minimum=1)]


def access_question(tenant: Tenant, item: ServiceItem) -> list[IntakeField]:
    return [IntakeField(key="access_notes", label={"en": "How to get in"}, kind="text")]


def test_hook_intake_fields(jiejia: Tenant, garden: Tenant) -> None:
    """The booking form asks the gardening questions only where gardening is enabled."""
    pm = host(
        vertical_plugin(GARDENING_VERTICAL, intake_fields=hedge_questions),
        plugin("access-notes", intake_fields=access_question),
    )
    hedges = service_item(GARDENING, "hedges")
    cleaning = service_item("housekeeping", "daily_cleaning")

    def questions(tenant: Tenant, item: ServiceItem) -> list[str]:
        return [f.key for f in concatenated(pm.for_tenant(tenant).intake_fields(item=item))]

    assert questions(garden, hedges) == ["access_notes", "hedge_length_m"]
    assert questions(garden, cleaning) == ["access_notes"]
    assert questions(jiejia, hedges) == ["access_notes"]
