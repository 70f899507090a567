"""Catalogue rules: a tenant's catalogue, the certificates its items need, quotes at current prices.

The versioned price list lives in ``core.catalog.price_lists``. Pages, API and CLI call these;
none of them re-implements a price rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.catalog.model import TenantCatalog, apply_tenant_config
from core.catalog.price_lists import price_list
from core.catalog.pricing import Quote, QuoteError, quote
from core.catalog.schemas import Category, ServiceItem
from core.plugins import DoorstepPluginManager
from core.tenancy.loader import TenantProblem
from core.tenancy.model import Tenant
from core.verification.certificates import certificate_label
from core.verification.schemas import CertificationRequirement


def build_catalog(
    plugins: DoorstepPluginManager, tenant: Tenant
) -> tuple[TenantCatalog, list[TenantProblem]]:
    """The tenant's catalogue from its enabled verticals' taxonomies and its YAML blocks."""
    hooks = plugins.for_tenant(tenant)
    by_vertical: dict[str, list[Category]] = {}
    for categories in hooks.service_taxonomy():
        for category in categories or []:
            by_vertical.setdefault(category.vertical, []).append(category)
    problems: list[TenantProblem] = []
    result: list[Category] = []
    for slug in tenant.enabled_verticals:
        categories, found = apply_tenant_config(
            slug, by_vertical.get(slug, []), tenant.vertical_configs.get(slug)
        )
        problems += [
            TenantProblem(str(tenant.source), f"verticals.{slug}.{key}", reason)
            for key, reason in found
        ]
        result += categories
    return TenantCatalog.build(result), problems


def catalog_problems(plugins: DoorstepPluginManager, tenant: Tenant) -> list[TenantProblem]:
    """Tenant-check step: prices outside their band, unknown items, broken extra items."""
    return build_catalog(plugins, tenant)[1]


def item_requirements(
    plugins: DoorstepPluginManager, tenant: Tenant, item: ServiceItem
) -> list[CertificationRequirement]:
    """Every certificate a provider needs for ``item``: the item's own, then the plugins'."""
    found = {
        code: CertificationRequirement(code=code, label=certificate_label(code))
        for code in item.required_certifications
    }
    for extra in plugins.for_tenant(tenant).required_certifications(item=item):
        for requirement in extra or []:
            found.setdefault(requirement.code, requirement)
    return list(found.values())


@dataclass(frozen=True)
class VisitItem:
    """One item of a booking, as the customer asked for it."""

    item: str
    tier: str
    intake: Mapping[str, Any]
    addons: list[str] | None = None


async def quote_visit(
    plugins: DoorstepPluginManager,
    tenant: Tenant,
    catalog: TenantCatalog,
    items: list[VisitItem],
    *,
    when: datetime | None,
    now: datetime | None = None,
) -> list[Quote | QuoteError]:
    """Quotes for the items of one visit (one booking) at the prices in force now, read once.

    Each item is priced knowing what the visit's earlier items come to and whether it is the
    last (``QuoteRequest.visit_others_fen``, ``visit_last``), so a charge that applies once per
    visit (a minimum charge) is applied once, on the whole visit. One result per item: its
    quote, or the ``QuoteError`` naming its problems."""
    now = now or datetime.now(UTC)
    prices = await price_list(tenant, now)
    hooks = plugins.for_tenant(tenant)
    results: list[Quote | QuoteError] = []
    others = 0
    for n, wanted in enumerate(items):
        try:
            found = quote(
                catalog,
                hooks,
                item=wanted.item,
                tier=wanted.tier,
                intake=wanted.intake,
                when=when,
                now=now,
                addons=wanted.addons,
                prices=prices.prices,
                price_list_version=prices.version,
                currency=tenant.config.currency,
                visit_others_fen=others,
                visit_last=n == len(items) - 1,
            )
        except QuoteError as exc:
            results.append(exc)
            continue
        others += found.total_fen
        results.append(found)
    return results


async def quote_now(
    plugins: DoorstepPluginManager,
    tenant: Tenant,
    catalog: TenantCatalog,
    *,
    item: str,
    tier: str,
    intake: Mapping[str, Any],
    when: datetime | None,
    addons: list[str] | None = None,
    now: datetime | None = None,
) -> Quote:
    """A quote at the prices in force now (the version is recorded on the quote)."""
    now = now or datetime.now(UTC)
    prices = await price_list(tenant, now)
    return quote(
        catalog,
        plugins.for_tenant(tenant),
        item=item,
        tier=tier,
        intake=intake,
        when=when,
        now=now,
        addons=addons,
        prices=prices.prices,
        price_list_version=prices.version,
        currency=tenant.config.currency,
    )


def current_price(item: ServiceItem, tier_key: str, prices: Mapping[str, int]) -> int:
    tier = item.tier(tier_key)
    if tier is None:
        raise KeyError(tier_key)
    return prices.get(f"{item.ref}.{tier.key}", tier.price_fen)


def lowest_price(item: ServiceItem, prices: Mapping[str, int]) -> tuple[int, str]:
    """The "from" price of an item and its unit: its cheapest tier at current prices."""
    cheapest = min(item.tiers, key=lambda t: current_price(item, t.key, prices))
    return current_price(item, cheapest.key, prices), cheapest.unit
