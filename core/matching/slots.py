"""Slots: the start times of a day a customer is offered for an item, those some eligible
provider (or the chosen one) can actually reach (``find_candidates`` for each)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.catalog.model import TenantCatalog
from core.matching.service import JobRequest, find_candidates
from core.tenancy.model import Tenant
from core.tenancy.scoped import within_tenant


def day_slots(tenant: Tenant, day: date, now: datetime) -> list[datetime]:
    """Start times offered on ``day``, every step between the tenant's day start and end,
    never before now + the lead time."""
    policy = tenant.config.policies.booking
    tz = ZoneInfo(tenant.config.timezone)
    first = datetime.combine(day, time.fromisoformat(policy.day_starts), tz)
    last = datetime.combine(day, time.fromisoformat(policy.day_ends), tz)
    earliest = now + timedelta(minutes=policy.lead_time_minutes)
    step = timedelta(minutes=policy.slot_step_minutes)
    slots = []
    moment = first
    while moment <= last:
        if moment >= earliest:
            slots.append(moment.astimezone(UTC))
        moment += step
    return slots


@within_tenant
async def available_slots(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    *,
    item_ref: str,
    point: tuple[float, float],
    day: date,
    duration_minutes: int,
    district: str = "",
    provider_id: str | None = None,
    now: datetime | None = None,
) -> list[tuple[datetime, int]]:
    """The start times on ``day`` that some eligible provider (or the chosen one) can reach,
    with how many providers could come."""
    now = now or datetime.now(UTC)
    out = []
    for start in day_slots(tenant, day, now):
        job = JobRequest(
            item_ref=item_ref,
            point=point,
            starts_at=start,
            duration_minutes=duration_minutes,
            district=district,
        )
        # Counting only: the order (and the acceptance records it needs) does not matter.
        candidates = await find_candidates(
            plugins, tenant, tenant_id, catalog, job, now=now, only=provider_id, ranking=False
        )
        if candidates:
            out.append((start, len(candidates)))
    return out
