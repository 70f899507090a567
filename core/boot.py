"""Loading an install: plugins, then tenants checked against what the plugins provide."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path

from core.plugins import DoorstepPluginManager
from core.settings import Settings
from core.tenancy.loader import TenantProblem
from core.tenancy.model import Tenant
from core.tenancy.registry import TenantCheck, TenantRegistry, check_files, load_registry


def tenant_checks(plugins: DoorstepPluginManager) -> list[TenantCheck]:
    """Checks that need the plugins: catalogue prices inside their bands, known items."""
    from core.catalog.service import catalog_problems

    return [partial(catalog_problems, plugins)]


def load_tenants(settings: Settings, plugins: DoorstepPluginManager) -> TenantRegistry:
    """Every tenant of the install; raises ``TenantConfigError`` listing all problems."""
    return load_registry(
        settings.tenants_dir, plugins.verticals, settings.themes_dir, tenant_checks(plugins)
    )


def check_tenant_files(
    files: Iterable[Path], settings: Settings, plugins: DoorstepPluginManager
) -> tuple[list[Tenant], list[TenantProblem]]:
    return check_files(files, plugins.verticals, settings.themes_dir, tenant_checks(plugins))


async def prepare_database(
    settings: Settings, plugins: DoorstepPluginManager, registry: TenantRegistry
) -> list[str]:
    """Migrate, register new tenants and record changed YAML prices. Idempotent.

    Returns the slugs of the tenants registered by this run.
    """
    from datetime import UTC, datetime

    from core.catalog.price_lists import sync_config_prices
    from core.catalog.service import build_catalog
    from core.db import migrate
    from core.privacy import service as privacy
    from core.privacy.keys import ensure_keys_file
    from core.tenancy.service import sync_tenant_rows

    ensure_keys_file(settings)
    privacy.configure(settings)
    await migrate(settings)
    created = await sync_tenant_rows(registry)
    now = datetime.now(UTC)
    for tenant in registry:
        await sync_config_prices(tenant, build_catalog(plugins, tenant)[0], now)
    return created
