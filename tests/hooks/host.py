"""Test plugins for the hook tests: verticals nobody ships, and the values they exchange.

Plugins are registered on the real host (``build_plugin_manager``: core's defaults and the
installed verticals, then these), and tenants are the demo tenants or copies of them that
enable the test verticals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any, TypeVar

import msgspec

from core.catalog.schemas import Category, QuoteRequest, ServiceItem, ServiceTier, Vertical
from core.catalog.schemas import VerticalConfig as _VerticalConfig
from core.hookspecs import hookimpl
from core.plugins import DoorstepPluginManager, build_plugin_manager
from core.tenancy.model import Tenant

T = TypeVar("T")

GARDENING = "gardening"
PEST_CONTROL = "pestcontrol"


class GardeningConfig(_VerticalConfig, frozen=True, kw_only=True):
    """The ``verticals.gardening`` block of a test tenant."""

    hedge_price_fen_per_m: int = 1500


class PestControlConfig(_VerticalConfig, frozen=True, kw_only=True):
    flat_fee_fen: int = 30000


GARDENING_VERTICAL = Vertical(
    slug=GARDENING, label={"zh_CN": "园艺", "en": "Gardening"}, config_type=GardeningConfig
)
PEST_CONTROL_VERTICAL = Vertical(
    slug=PEST_CONTROL, label={"zh_CN": "除虫", "en": "Pest control"}, config_type=PestControlConfig
)


def plugin(name: str, **impls: Callable[..., Any]) -> ModuleType:
    """A plugin module declaring no vertical (it answers for every tenant) with ``impls``."""
    module = ModuleType(name)
    for hook, function in impls.items():
        setattr(module, hook, hookimpl(function))
    return module


def vertical_plugin(vertical: Vertical, **impls: Callable[..., Any]) -> ModuleType:
    """A plugin module declaring ``vertical`` and implementing ``impls`` (hook -> function)."""
    return plugin(f"test-{vertical.slug}", register_vertical=lambda: vertical, **impls)


def host(*plugins: object) -> DoorstepPluginManager:
    """The real host: core's defaults, the installed verticals, then ``plugins`` in order."""
    return build_plugin_manager(extra=plugins)


def tenant_enabling(base: Tenant, slug: str, configs: dict[str, msgspec.Struct]) -> Tenant:
    """A copy of ``base`` as tenant ``slug`` (host ``<slug>.localhost``) enabling ``configs``."""
    config = msgspec.structs.replace(
        base.config,
        slug=slug,
        hosts=[f"{slug}.localhost"],
        verticals={name: msgspec.to_builtins(block) for name, block in configs.items()},
        commission=msgspec.structs.replace(base.config.commission, per_vertical={}),
    )
    return Tenant(
        config=config,
        source=base.source.with_name(f"{slug}.yaml"),
        theme=base.theme,
        vertical_configs=dict(configs),
    )


def concatenated(results: Iterable[list[T]]) -> list[T]:
    """What core does with a list hook's results: one list, in the order they came."""
    return [value for result in results for value in result]


def service_item(vertical: str, key: str, **fields: Any) -> ServiceItem:
    tier = ServiceTier(
        key="standard",
        label={"zh_CN": "标准", "en": "Standard"},
        price_fen=10000,
        price_min_fen=8000,
        price_max_fen=20000,
        duration_minutes=60,
    )
    return ServiceItem(key=key, vertical=vertical, label={"en": key}, tiers=[tier], **fields)


def category(vertical: str, key: str, items: list[ServiceItem]) -> Category:
    return Category(key=key, vertical=vertical, label={"en": key}, items=items)


def quote_request(item: ServiceItem, quantity: int = 1, **intake: Any) -> QuoteRequest:
    tier = item.tiers[0]
    return QuoteRequest(
        item=item, tier=tier, intake=intake, unit_price_fen=tier.price_fen, quantity=quantity
    )
