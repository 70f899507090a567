"""A tenant's catalogue: what its enabled verticals offer, after its YAML switched items off,
set its own list prices and added its own items."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from core.catalog.schemas import Category, ServiceItem, ServiceTier, VerticalConfig


@dataclass(frozen=True)
class TenantCatalog:
    categories: list[Category]
    _items: dict[str, ServiceItem] = field(default_factory=dict)

    @classmethod
    def build(cls, categories: list[Category]) -> TenantCatalog:
        items = {item.ref: item for c in categories for item in c.items}
        return cls(categories=categories, _items=items)

    def item(self, ref: str) -> ServiceItem | None:
        """``<vertical>.<item>`` -> the item, or None if unknown or switched off."""
        return self._items.get(ref)

    @property
    def items(self) -> list[ServiceItem]:
        return list(self._items.values())

    def tier(self, tier_ref: str) -> tuple[ServiceItem, ServiceTier] | None:
        item_ref, _, tier_key = tier_ref.rpartition(".")
        item = self.item(item_ref)
        tier = item.tier(tier_key) if item else None
        return (item, tier) if item and tier else None

    def tier_refs(self) -> list[str]:
        return [f"{item.ref}.{tier.key}" for item in self._items.values() for tier in item.tiers]

    def list_prices(self) -> dict[str, int]:
        """The configured list price of every tier (plugin default or the tenant's YAML)."""
        return {f"{i.ref}.{t.key}": t.price_fen for i in self._items.values() for t in i.tiers}


def apply_tenant_config(
    vertical: str, categories: list[Category], config: Any
) -> tuple[list[Category], list[tuple[str, str]]]:
    """Apply a vertical's tenant block: extra items, switched-off items, price overrides.

    Returns the categories and the problems as ``(key path, reason)`` under the block.
    """
    problems: list[tuple[str, str]] = []
    if not isinstance(config, VerticalConfig):
        return categories, problems
    cats = {c.key: c for c in categories}
    order = [c.key for c in categories]
    known = {i.key for c in categories for i in c.items}
    for n, extra in enumerate(config.extra_items):
        item = msgspec.structs.replace(extra.item, vertical=vertical)
        where = f"extra_items[{n}]"
        if item.key in known:
            problems.append((f"{where}.item.key", f"{item.key!r} already exists"))
            continue
        problems += [(f"{where}.item.{k}", r) for k, r in tier_problems(item)]
        known.add(item.key)
        if extra.category in cats:
            cat = cats[extra.category]
            cats[extra.category] = msgspec.structs.replace(cat, items=[*cat.items, item])
        else:
            if not extra.category_label:
                problems.append((f"{where}.category_label", "a new category needs a label"))
            cats[extra.category] = Category(
                key=extra.category, vertical=vertical, label=extra.category_label, items=[item]
            )
            order.append(extra.category)
    for n, key in enumerate(config.disabled_items):
        if key not in known:
            problems.append((f"disabled_items[{n}]", f"unknown item {key!r}"))
    disabled = set(config.disabled_items)
    overrides = dict(config.price_overrides_fen)
    result: list[Category] = []
    for key in order:
        cat = cats[key]
        items = []
        for item in cat.items:
            if item.key in disabled:
                continue
            tiers = []
            for tier in item.tiers:
                price = overrides.pop(f"{item.key}.{tier.key}", None)
                if price is not None:
                    if not tier.price_min_fen <= price <= tier.price_max_fen:
                        problems.append(
                            (
                                f"price_overrides_fen.{item.key}.{tier.key}",
                                f"{price} fen is outside the band "
                                f"{tier.price_min_fen}-{tier.price_max_fen} fen",
                            )
                        )
                        price = tier.price_fen
                    tier = msgspec.structs.replace(tier, price_fen=price)
                tiers.append(tier)
            items.append(msgspec.structs.replace(item, tiers=tiers))
        if items:
            result.append(msgspec.structs.replace(cat, items=items))
    for ref in overrides:
        problems.append((f"price_overrides_fen.{ref}", "no such item.tier"))
    return result, problems


def tier_problems(item: ServiceItem) -> list[tuple[str, str]]:
    """Consistency of an item's tiers: bands ordered, list price inside, quantities known."""
    problems = []
    if not item.tiers:
        problems.append(("tiers", "an item needs at least one tier"))
    intake_keys = {f.key for f in item.intake}
    for n, tier in enumerate(item.tiers):
        where = f"tiers[{n}]"
        if not 0 <= tier.price_min_fen <= tier.price_fen <= tier.price_max_fen:
            problems.append(
                (f"{where}.price_fen", "needs 0 <= price_min_fen <= price_fen <= price_max_fen")
            )
        if tier.quantity_field and tier.quantity_field not in intake_keys:
            problems.append(
                (f"{where}.quantity_field", f"{tier.quantity_field!r} is not an intake field")
            )
        if tier.duration_minutes < 0 or tier.minutes_per_unit < 0:
            problems.append((f"{where}.duration_minutes", "must not be negative"))
    return problems
