"""Notification channels and payment providers, per tenant."""

from __future__ import annotations

from core.notifications.channels import Message, NotificationChannel
from core.payments.provider import PaymentProvider
from core.plugins import build_plugin_manager
from core.tenancy.model import Tenant
from tests.hooks.host import (
    GARDENING_VERTICAL,
    concatenated,
    host,
    plugin,
    vertical_plugin,
)


class EmailChannel(NotificationChannel):
    identifier = "email"

    async def send(self, message: Message) -> None: ...


class GardenWeChatChannel(NotificationChannel):
    identifier = "wechat_template"

    async def send(self, message: Message) -> None: ...


def channels(pm: object, tenant: Tenant) -> list[str]:
    found = concatenated(pm.for_tenant(tenant).notification_channels())  # type: ignore[attr-defined]
    return [channel.identifier for channel in found]


def test_hook_notification_channels(jiejia: Tenant, garden: Tenant) -> None:
    """Core's console channel is always offered; plugins add theirs where they are enabled."""
    assert channels(build_plugin_manager(load_installed=False), jiejia) == ["console"]

    pm = host(
        vertical_plugin(
            GARDENING_VERTICAL, notification_channels=lambda tenant: [GardenWeChatChannel()]
        ),
        plugin("email", notification_channels=lambda tenant: [EmailChannel()]),
    )
    assert set(channels(pm, garden)) == {"console", "email", "wechat_template"}
    assert set(channels(pm, jiejia)) == {"console", "email"}


class UnionPay(PaymentProvider):
    identifier = "unionpay"
    label = {"zh_CN": "云闪付", "en": "UnionPay"}


class GardenDeposit(PaymentProvider):
    identifier = "gardening.deposit"
    label = {"zh_CN": "园艺定金", "en": "Gardening deposit"}


def test_hook_payment_providers(jiejia: Tenant, wanjia: Tenant, garden: Tenant) -> None:
    """Core's four methods are always offered; a vertical's payment method only where that
    vertical is enabled."""
    pm = host(
        vertical_plugin(GARDENING_VERTICAL, payment_providers=lambda tenant: [GardenDeposit]),
        plugin("unionpay", payment_providers=lambda tenant: [UnionPay]),
    )

    def methods(tenant: Tenant) -> list[str]:
        return [p.identifier for p in concatenated(pm.for_tenant(tenant).payment_providers())]

    core = ["wechat_pay", "alipay", "card", "cash"]
    assert methods(garden) == ["unionpay", "gardening.deposit", *core]
    assert methods(jiejia) == ["unionpay", *core]
    assert methods(wanjia) == ["unionpay", *core]
    # the hook returns classes; core builds one per tenant with its settings block
    provider = concatenated(pm.for_tenant(garden).payment_providers())[1](garden, {"ratio": 30})
    assert provider.tenant is garden and provider.settings == {"ratio": 30}
