"""The payments job of the worker: ask the gateways about payments still pending, so a
notification that never arrived is applied anyway (exactly once, like any other), and ask
again about refunds left pending when a gateway did not answer."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from core.payments.gateways import enabled_methods, tenant_base_url
from core.payments.provider import GatewayError, GatewayEvent, NotificationRejected, PaymentProvider
from core.payments.refunds import retry_pending_refunds
from core.payments.service import apply_event, order_of
from core.payments.tables import Payment
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, within_tenant

if TYPE_CHECKING:
    from core.plugins import DoorstepPluginManager
    from core.settings import Settings

log = logging.getLogger("doorstep.payments")

QUERY_AFTER = timedelta(minutes=2)
"""The worker asks the gateway about a payment still pending after this long."""
EXPIRE_AFTER = timedelta(hours=2)
"""A payment the gateway still knows nothing about after this long is closed (WeChat Pay's
Native orders expire after two hours)."""


async def run_payment_jobs(
    settings: Settings,
    plugins: DoorstepPluginManager,
    tenant: Tenant,
    tenant_id: Any,
    now: datetime,
) -> dict[str, int]:
    methods = enabled_methods(settings, plugins, tenant)
    if not methods:
        return {}
    base = tenant_base_url(tenant)
    counts = await check_pending(methods, tenant, str(tenant_id), base_url=base, now=now)
    counts.update(
        await retry_pending_refunds(methods, tenant, str(tenant_id), base_url=base, now=now)
    )
    return {key: count for key, count in counts.items() if count}  # a quiet pass says nothing


@within_tenant
async def check_pending(
    methods: dict[str, PaymentProvider],
    tenant: Tenant,
    tenant_id: str,
    *,
    base_url: str,
    now: datetime,
) -> dict[str, int]:
    """Ask the gateway about each payment pending for longer than ``QUERY_AFTER``: a missed
    notification is applied (exactly once, like any other), an order the gateway never heard
    of is closed after ``EXPIRE_AFTER``. Returns counts for the worker's report."""
    counts = {"payments_queried": 0, "payments_captured_by_query": 0, "payments_closed": 0}
    rows = await (
        scoped(Payment, tenant_id)
        .select()
        .where((Payment.status == "pending") & (Payment.created_at < now - QUERY_AFTER))
        .order_by(Payment.created_at)
        .limit(200)
    )
    for payment in rows:
        provider = methods.get(payment["method"])
        if provider is None or not provider.notification_path:
            continue  # cash, or a method the tenant no longer offers: nobody to ask
        counts["payments_queried"] += 1
        try:
            event = await provider.query(order_of(payment, "", base_url))
            if event is not None:
                provider.check_order(event, int(payment["amount_fen"]))
        except (GatewayError, NotificationRejected) as exc:
            log.warning("query of a pending %s payment failed: %s", payment["method"], exc)
            continue
        if event is None and payment["created_at"] < now - EXPIRE_AFTER:
            event = GatewayEvent(f"expired:{payment['id']}", payment["out_trade_no"], "closed")
        if event is None:
            continue
        taken = await apply_event(provider, tenant, tenant_id, dict(payment), event, now)
        if taken.applied == "captured":
            counts["payments_captured_by_query"] += 1
        elif taken.applied == "closed":
            counts["payments_closed"] += 1
    return counts
