"""Demo data for ``make demo``: the demo tenants' rows, then each domain's demo data."""

from __future__ import annotations

from core.plugins import DoorstepPluginManager, build_plugin_manager
from core.settings import Settings, get_settings
from core.tenancy.registry import TenantRegistry
from core.tenancy.service import sync_tenant_rows


async def seed_demo(
    registry: TenantRegistry,
    plugins: DoorstepPluginManager | None = None,
    settings: Settings | None = None,
) -> str:
    """Idempotent: running it twice leaves the same data."""
    from core.accounts.demo import seed_demo_accounts
    from core.dispatch.demo import seed_demo_dispatch
    from core.payments.demo import seed_demo_payments
    from core.privacy import service as privacy
    from core.providers.demo import seed_demo_providers
    from core.quality.demo import seed_demo_quality
    from core.safety.demo import seed_demo_safety

    privacy.configure(settings or get_settings())
    created = await sync_tenant_rows(registry)
    people = await seed_demo_accounts(registry, plugins or build_plugin_manager())
    providers = await seed_demo_providers(
        registry, plugins or build_plugin_manager(), settings or get_settings()
    )
    quality = await seed_demo_quality(
        registry, plugins or build_plugin_manager(), settings or get_settings()
    )
    paid = await seed_demo_payments(
        registry, plugins or build_plugin_manager(), settings or get_settings()
    )
    safety = await seed_demo_safety(
        registry, plugins or build_plugin_manager(), settings or get_settings()
    )
    dispatch = await seed_demo_dispatch(
        registry, plugins or build_plugin_manager(), settings or get_settings()
    )
    return (
        f"{len(registry)} tenants ({len(created)} new); {people}; {providers}; {quality}; "
        f"{paid}; {safety}; {dispatch}"
    )
