"""The background worker: one pass runs every due job once; jobs are idempotent."""

from __future__ import annotations

from core.db import engine_for, use_engine
from core.settings import Settings
from core.tenancy.registry import TenantRegistry
from core.tenancy.service import sync_tenant_rows


async def run_pass(settings: Settings, registry: TenantRegistry) -> dict[str, int]:
    """Run each job once. Returns how much each did (for logs and tests)."""
    use_engine(engine_for(settings))
    created = await sync_tenant_rows(registry)
    return {"tenants_registered": len(created)}
