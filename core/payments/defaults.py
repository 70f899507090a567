"""Core's own payment methods, offered through the ``payment_providers`` hook like a plugin's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.hookspecs import hookimpl

if TYPE_CHECKING:
    from core.payments.provider import PaymentProvider
    from core.tenancy.model import Tenant


@hookimpl
def payment_providers(tenant: Tenant) -> list[type[PaymentProvider]]:
    """WeChat Pay, Alipay, bank card (hosted page) and cash; the tenant's YAML enables them."""
    from core.payments.alipay import Alipay
    from core.payments.card import HostedCard
    from core.payments.cash import Cash
    from core.payments.wechat import WeChatPay

    return [WeChatPay, Alipay, HostedCard, Cash]
