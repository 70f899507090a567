"""A tenant's catalogue: what its enabled verticals offer, after its YAML switched items off,
set its own list prices and added its own items."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import msgspec

from core.catalog.schemas import Category, IntakeField, ServiceItem, ServiceTier, VerticalConfig


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
            # A switched-off item keeps its tenant price (checked, so it is right when the item
            # is switched on again), but is left out of the catalogue.
            priced = _priced(item, overrides, problems)
            if item.key not in disabled:
                items.append(priced)
        if items:
            result.append(msgspec.structs.replace(cat, items=items))
    for ref in overrides:
        problems.append((f"price_overrides_fen.{ref}", "no such item.tier"))
    return result, problems


def _priced(
    item: ServiceItem, overrides: dict[str, int], problems: list[tuple[str, str]]
) -> ServiceItem:
    """``item`` with the tenant's list prices (taken out of ``overrides``) inside each band."""
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
    return msgspec.structs.replace(item, tiers=tiers)


KEY = re.compile(r"[a-z][a-z0-9_]{0,59}")
"""Keys of items, tiers, intake fields and add-ons: they end up in refs, URLs and the database."""
KEY_RULE = "use lower-case letters, digits and '_'"


def tier_problems(item: ServiceItem) -> list[tuple[str, str]]:
    """Consistency of an item a tenant wrote: keys, bands ordered, list price inside, and
    quantities read from a bounded whole-number question (so a quote can never crash)."""
    problems = []
    if not KEY.fullmatch(item.key):
        problems.append(("key", KEY_RULE))
    if not item.tiers:
        problems.append(("tiers", "an item needs at least one tier"))
    fields = {f.key: f for f in item.intake}
    for n, field_ in enumerate(item.intake):
        where = f"intake[{n}]"
        if not KEY.fullmatch(field_.key):
            problems.append((f"{where}.key", KEY_RULE))
        low, high = field_.minimum, field_.maximum
        if low is not None and high is not None and high < low:
            problems.append((f"{where}.maximum", "must not be below the minimum"))
        if field_.kind == "choice" and not field_.choices:
            problems.append((f"{where}.choices", "a choice needs at least one option"))
    for n, addon in enumerate(item.addons):
        if not KEY.fullmatch(addon.key):
            problems.append((f"addons[{n}].key", KEY_RULE))
        if addon.price_fen < 0:
            problems.append((f"addons[{n}].price_fen", "must not be negative"))
    seen: set[str] = set()
    for n, tier in enumerate(item.tiers):
        where = f"tiers[{n}]"
        if not KEY.fullmatch(tier.key):
            problems.append((f"{where}.key", KEY_RULE))
        elif tier.key in seen:
            problems.append((f"{where}.key", f"{tier.key!r} is used by another tier"))
        seen.add(tier.key)
        if not 0 <= tier.price_min_fen <= tier.price_fen <= tier.price_max_fen:
            problems.append(
                (f"{where}.price_fen", "needs 0 <= price_min_fen <= price_fen <= price_max_fen")
            )
        quantity = _quantity_problem(tier.quantity_field, fields) if tier.quantity_field else None
        if quantity is not None:
            problems.append((f"{where}.quantity_field", quantity))
        if tier.duration_minutes < 0 or tier.minutes_per_unit < 0:
            problems.append((f"{where}.duration_minutes", "must not be negative"))
    return problems


def _quantity_problem(key: str, fields: dict[str, IntakeField]) -> str | None:
    found = fields.get(key)
    if found is None:
        return f"{key!r} is not an intake field"
    if found.kind != "int":
        return f"{key!r} must be a whole-number field"
    if found.minimum is None or found.minimum < 0:
        return f"{key!r} needs a minimum of 0 or more"
    if found.maximum is None:
        return f"{key!r} needs a maximum"
    return None
