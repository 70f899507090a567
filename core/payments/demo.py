"""Demo payments: the demo tenants' completed bookings paid through the WeChat Pay stand-in,
so the ledger, the providers' earnings and the finance pages have true figures from the first
start. The two most recent completed bookings of each tenant are left unpaid, for a new user
to pay end to end (checkout, the stand-in's WeChat page, the receipt and the invoice).

Each payment goes the real way: checkout at the stand-in, then the stand-in's signed and
encrypted notification, verified and taken exactly once. Idempotent: a paid booking is skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime

from core.booking.tables import Booking
from core.payments import service
from core.payments.gateways import enabled_methods, is_standin, tenant_base_url
from core.payments.standin import gateway as standin
from core.payments.standin import notices
from core.plugins import DoorstepPluginManager
from core.settings import Settings
from core.tenancy.registry import TenantRegistry
from core.tenancy.scoped import scoped, tenant_transaction
from core.tenancy.service import tenant_row_id

LEFT_TO_PAY = 2


async def seed_demo_payments(
    registry: TenantRegistry, plugins: DoorstepPluginManager, settings: Settings
) -> str:
    paid = 0
    for tenant in registry:
        methods = enabled_methods(settings, plugins, tenant)
        wechat = methods.get("wechat_pay")
        tenant_id = await tenant_row_id(tenant.slug)
        if tenant_id is None or wechat is None or not is_standin(wechat):
            continue
        gateway = standin.gateway_for(settings.var_dir)
        async with tenant_transaction(tenant_id):
            done = await (
                scoped(Booking, tenant_id)
                .select(Booking.id, Booking.customer)
                .where((Booking.status == "completed") & (Booking.total_fen > 0))
                .order_by(Booking.starts_at)
            )
        for row in done[:-LEFT_TO_PAY] if len(done) > LEFT_TO_PAY else []:
            async with tenant_transaction(tenant_id):
                if await service.is_paid(str(tenant_id), row["id"]):
                    continue
                now = datetime.now(UTC)
                try:
                    payment, _ = await service.start_payment(
                        methods,
                        tenant,
                        str(tenant_id),
                        row["id"],
                        str(row["customer"]),
                        "wechat_pay",
                        description=tenant.name(tenant.config.default_locale),
                        base_url=tenant_base_url(tenant),
                        now=now,
                    )
                except service.PaymentError:
                    continue  # e.g. a payment by another method under way: left as it is
                order = gateway.pay(payment["out_trade_no"])
                headers, body = notices.wechat_notification(
                    gateway.keys, notices.wechat_transaction(order)
                )
                taken = await service.take_notification(
                    wechat, tenant, str(tenant_id), headers, body, now=now
                )
                paid += taken.applied == "captured"
    return f"{paid} bookings paid through the WeChat Pay stand-in"
