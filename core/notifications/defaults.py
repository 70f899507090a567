"""Core's own implementations of notification hooks (core travels the plugin road too)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.hookspecs import hookimpl
from core.notifications.channels import ConsoleChannel, NotificationChannel

if TYPE_CHECKING:
    from core.tenancy.model import Tenant


@hookimpl
def notification_channels(tenant: Tenant) -> list[NotificationChannel]:
    """``console`` always; ``email`` when the tenant's YAML has an ``email:`` block."""
    channels: list[NotificationChannel] = [ConsoleChannel(tenant.slug)]
    if tenant.config.email is not None:
        from core.notifications.email import EmailChannel

        channels.append(EmailChannel(tenant, tenant.config.email))
    return channels
