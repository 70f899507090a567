"""The safety jobs of each worker pass (idempotent; state only in the database): send the
alerts still pending, escalate what nobody acknowledged, watch active jobs for anomalies, purge
trails past retention."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.safety import alerts, anomalies, service, trail
from core.tenancy.model import Tenant
from core.tenancy.scoped import tenant_transaction


async def run_safety_jobs(
    plugins: Any, tenant: Tenant, tenant_id: str, now: datetime
) -> dict[str, int]:
    report: dict[str, int] = {}
    async with tenant_transaction(tenant_id):
        report |= await anomalies.watch_jobs(plugins, tenant, tenant_id, now)
        report |= await service.escalate_due(plugins, tenant, tenant_id, now)
        report |= await alerts.deliver_alerts(plugins, tenant, tenant_id, now)
        if purged := await trail.purge_trails(tenant, tenant_id, now):
            report["safety_positions_purged"] = purged
    return report
