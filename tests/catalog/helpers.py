"""Shared by the catalogue and vertical tests: a fixed clock, quotes, problems, tenant files.

Time never comes from the wall clock here: ``NOW`` is a Tuesday, 10:00 in Shanghai, and every
``when`` is built from it in the tenant's zone (Asia/Shanghai, UTC+8, no daylight saving).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from core.boot import check_tenant_files
from core.catalog.model import TenantCatalog
from core.catalog.pricing import Quote, QuoteError, quote
from core.catalog.service import build_catalog
from core.plugins import DoorstepPluginManager
from core.settings import Settings
from core.tenancy.loader import TenantProblem
from core.tenancy.model import Tenant
from tests.conftest import ROOT

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
"""Tuesday 10 March 2026, 10:00 in Shanghai."""


def shanghai(days: int, hour: int, minute: int = 0) -> datetime:
    """``days`` after today at ``hour:minute`` Shanghai time, as an aware UTC datetime."""
    local = NOW.astimezone(SHANGHAI) + timedelta(days=days)
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0).astimezone(UTC)


TOMORROW_10 = shanghai(1, 10)
"""A plain daytime slot: not urgent, not at night."""


def catalog_of(plugins: DoorstepPluginManager, tenant: Tenant) -> TenantCatalog:
    catalog, problems = build_catalog(plugins, tenant)
    assert problems == [], problems
    return catalog


def price(
    plugins: DoorstepPluginManager,
    tenant: Tenant,
    item: str,
    tier: str,
    intake: Mapping[str, Any] | None = None,
    *,
    when: datetime | None = TOMORROW_10,
    addons: list[str] | None = None,
    now: datetime = NOW,
    prices: Mapping[str, int] | None = None,
) -> Quote:
    """The quote a customer of ``tenant`` gets (raises ``QuoteError``)."""
    return quote(
        catalog_of(plugins, tenant),
        plugins.for_tenant(tenant),
        item=item,
        tier=tier,
        intake=intake or {},
        when=when,
        now=now,
        addons=addons,
        prices=prices,
        currency=tenant.config.currency,
    )


def lines(found: Quote) -> dict[str, int]:
    """Quote lines as ``{code: amount in fen}``, in the order shown to the customer."""
    return {line.code: line.amount_fen for line in found.lines}


def line_label(found: Quote, code: str, locale: str = "en") -> str:
    return next(line.label[locale] for line in found.lines if line.code == code)


def refusal(call: Callable[[], object]) -> dict[str, str]:
    """The problems of a refused quote as ``{field: reason}``; fails if it was not refused."""
    try:
        call()
    except QuoteError as exc:
        return {p.field: p.reason for p in exc.problems}
    raise AssertionError("the request was priced, it should have been refused")


def flat(results: list[list[Any] | None]) -> list[Any]:
    """A hook's per-plugin results as one list."""
    return list(chain.from_iterable(r or [] for r in results))


# --- tenant files ----------------------------------------------------------------------------


def copy_tenants(folder: Path) -> Path:
    """A copy of the demo tenant files a test may change."""
    target = folder / "tenants"
    shutil.copytree(ROOT / "tenants", target)
    return target


def edit_tenant(tenants_dir: Path, slug: str, change: Callable[[dict[str, Any]], None]) -> Path:
    path = tenants_dir / f"{slug}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def set_vertical(vertical: str, block: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    """A change for ``edit_tenant``: replace the ``verticals.<vertical>`` block."""

    def change(data: dict[str, Any]) -> None:
        data["verticals"][vertical] = block

    return change


def check_tenant(
    settings: Settings, plugins: DoorstepPluginManager, path: Path
) -> tuple[Tenant | None, list[TenantProblem]]:
    """Check one tenant file the way ``doorstep tenant check`` does."""
    found, problems = check_tenant_files([path], settings, plugins)
    return (found[0] if found else None), problems


def problem_keys(problems: list[TenantProblem]) -> dict[str, str]:
    return {p.key: p.reason for p in problems}


def tenant_with(
    tmp_path: Path,
    settings: Settings,
    plugins: DoorstepPluginManager,
    slug: str,
    vertical: str,
    block: dict[str, Any],
) -> Tenant:
    """A demo tenant whose ``verticals.<vertical>`` block is ``block`` (the file must be valid)."""
    path = edit_tenant(copy_tenants(tmp_path), slug, set_vertical(vertical, block))
    tenant, problems = check_tenant(settings, plugins, path)
    assert problems == [], problems
    assert tenant is not None
    return tenant


SOFA_CLEANING: dict[str, Any] = {
    "category": "cleaning",
    "item": {
        "key": "sofa_cleaning",
        "label": {"zh_CN": "布艺沙发清洗", "en": "Fabric sofa cleaning"},
        "tiers": [
            {
                "key": "standard",
                "label": {"zh_CN": "标准", "en": "Standard"},
                "unit": "piece",
                "price_fen": 15000,
                "price_min_fen": 10000,
                "price_max_fen": 20000,
                "quantity_field": "seats",
                "duration_minutes": 0,
                "minutes_per_unit": 30,
                "contents": [{"zh_CN": "吸尘、除螨、局部去渍", "en": "Vacuum, dust mites, spots"}],
            }
        ],
        "intake": [
            {
                "key": "seats",
                "label": {"zh_CN": "座位数", "en": "Seats"},
                "kind": "int",
                "minimum": 1,
                "maximum": 10,
            }
        ],
    },
}
"""A tenant's own item, written purely in its YAML (``verticals.housekeeping.extra_items``)."""
