"""Sign-in codes out through the tenant's notification channels, in the tenant's language."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core.accounts.otp import CODE_TTL, IssuedCode
from core.i18n.catalogs import build_translations
from core.notifications.channels import Message, NotificationChannel

if TYPE_CHECKING:
    from core.plugins import DoorstepPluginManager
    from core.tenancy.model import Tenant

log = logging.getLogger("doorstep.accounts")
CODE_TEXT = "[%(brand)s] Your sign-in code is %(code)s. It is valid for %(minutes)s minutes."


def tenant_channels(plugins: DoorstepPluginManager, tenant: Tenant) -> list[NotificationChannel]:
    """The channels the tenant's YAML names (``notification_channels``), in its order."""
    offered: dict[str, NotificationChannel] = {}
    for result in plugins.for_tenant(tenant).notification_channels():
        for channel in result or []:
            offered.setdefault(channel.identifier, channel)
    return [offered[name] for name in tenant.config.notification_channels if name in offered]


def code_text(tenant: Tenant, locale: str, code: str) -> str:
    """``【洁家到家】验证码 123456，10 分钟内有效`` (the tenant's wording may reword it)."""
    translations = build_translations(locale, [], tenant.config.wording.get(locale, {}))
    minutes = int(CODE_TTL.total_seconds() // 60)
    return translations.gettext(CODE_TEXT) % {
        "brand": tenant.name(locale),
        "code": code,
        "minutes": minutes,
    }


async def send_code(
    plugins: DoorstepPluginManager, tenant: Tenant, issued: IssuedCode, locale: str
) -> bool:
    """Send through the first channel that works (the YAML lists them in fallback order).

    Returns False when none could; the caller still answers as if it had been sent, so the
    answer never depends on the number.
    """
    message = Message(
        to=issued.phone,
        subject="sign-in code",
        body=code_text(tenant, locale, issued.code),
        locale=locale,
        code=issued.code,
    )
    for channel in tenant_channels(plugins, tenant):
        try:
            await channel.send(message)
        except Exception:  # a carrier outage: try the next channel
            log.warning("channel %s could not send a sign-in code", channel.identifier)
            continue
        return True
    log.error("tenant %s: no notification channel could send a sign-in code", tenant.slug)
    return False
