"""Demo data for ``make demo``: the demo tenants' rows (later domains add theirs here)."""

from __future__ import annotations

from core.tenancy.registry import TenantRegistry
from core.tenancy.service import sync_tenant_rows


async def seed_demo(registry: TenantRegistry) -> str:
    """Idempotent: running it twice leaves the same data."""
    created = await sync_tenant_rows(registry)
    return f"{len(registry)} tenants ({len(created)} new)"
