"""The background worker: one pass runs every due job once; jobs are idempotent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from core.db import engine_for, use_engine
from core.settings import Settings
from core.tenancy.registry import TenantRegistry
from core.tenancy.service import sync_tenant_rows, tenant_row_id

if TYPE_CHECKING:
    from core.plugins import DoorstepPluginManager


async def run_pass(
    settings: Settings,
    registry: TenantRegistry,
    plugins: DoorstepPluginManager | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Run each job once, tenant by tenant. Returns how much each did (for logs and tests)."""
    from core.booking.cascade import expire_offers
    from core.catalog.service import build_catalog
    from core.ledger.settlement import run_due_settlements
    from core.notifications.relay import relay_outbox
    from core.payments.gateways import use_runtime as use_payment_runtime
    from core.payments.jobs import run_payment_jobs
    from core.plugins import build_plugin_manager
    from core.privacy import service as privacy
    from core.providers.storage import MediaStore, sweep_orphans
    from core.quality.jobs import run_quality_jobs
    from core.safety.jobs import run_safety_jobs
    from core.verification.jobs import run_verification_jobs

    use_engine(engine_for(settings))
    privacy.configure(settings)
    plugins = plugins or build_plugin_manager()
    use_payment_runtime(settings, plugins)
    now = now or datetime.now(UTC)
    created = await sync_tenant_rows(registry)
    report = {"tenants_registered": len(created)}
    for tenant in registry:
        tenant_id = await tenant_row_id(tenant.slug)
        if tenant_id is None:
            continue
        for key, count in (await run_verification_jobs(plugins, tenant, tenant_id, now)).items():
            report[key] = report.get(key, 0) + count
        catalog = build_catalog(plugins, tenant)[0]
        for key, count in (await expire_offers(plugins, tenant, tenant_id, catalog, now)).items():
            report[key] = report.get(key, 0) + count
        for key, count in (await run_safety_jobs(plugins, tenant, str(tenant_id), now)).items():
            report[key] = report.get(key, 0) + count
        for key, count in (await run_quality_jobs(plugins, tenant, str(tenant_id), now)).items():
            report[key] = report.get(key, 0) + count
        for key, count in (await run_due_settlements(tenant, tenant_id, now)).items():
            report[key] = report.get(key, 0) + count
        payments = await run_payment_jobs(settings, plugins, tenant, tenant_id, now)
        for key, count in payments.items():
            report[key] = report.get(key, 0) + count
        if swept := await sweep_orphans(MediaStore.under(settings.var_dir), tenant_id, now):
            report["media_files_swept"] = report.get("media_files_swept", 0) + swept
        relayed = await relay_outbox(plugins, tenant, tenant_id, settings, now)
        for key, count in relayed.counts().items():
            report[key] = report.get(key, 0) + count
    return report
