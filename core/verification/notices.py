"""What the verification jobs tell providers, in the provider's language, through the tenant's
notification channels: certificate reminders and expiry, re-verification, failed vendor checks.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from core.accounts.codes import tenant_channels
from core.notifications.channels import Message
from core.privacy import service as privacy
from core.providers.tables import ProviderProfile
from core.tenancy.scoped import within_tenant
from core.verification.certificates import certificate_label

if TYPE_CHECKING:
    from core.plugins import DoorstepPluginManager
    from core.tenancy.model import Tenant

log = logging.getLogger("doorstep.verification")

NOTICES: dict[str, dict[str, str]] = {
    "certificate_expiring": {
        "zh_CN": "您的{certificate}将于 {valid_until} 到期，请及时更新",
        "en": "Your {certificate} expires on {valid_until}: please renew it in time.",
    },
    "certificate_expired": {
        "zh_CN": "您的{certificate}已于 {valid_until} 到期，需要该证书的服务已暂停接单，"
        "上传新证书并通过审核后恢复",
        "en": "Your {certificate} expired on {valid_until}: the services that need it are "
        "paused until a new one is uploaded and approved.",
    },
    "identity_recheck_due": {
        "zh_CN": "您的身份核验已到期，请重新完成实名和人脸核验",
        "en": "Your identity check is due again: please verify your name and face once more.",
    },
    "police_filing_recheck_due": {
        "zh_CN": "您的公安备案需要重新核验，请重新提交备案信息",
        "en": "Your police filing must be checked again: please submit it once more.",
    },
    "identity_check_failed": {
        "zh_CN": "您的实名或人脸核验未通过，请核对身份证信息后重新提交",
        "en": "Your name or face check did not pass ({reason}): please check your ID card "
        "details and submit again.",
    },
    "identity_check_timed_out": {
        "zh_CN": "核验服务暂时没有响应，请重新提交实名和人脸核验",
        "en": "The verification service did not answer in time: please submit your identity "
        "check again.",
    },
}
BRAND = {"zh_CN": "【{brand}】", "en": "[{brand}] "}


def notice_text(tenant: Tenant, locale: str, event: str, params: dict[str, str]) -> str:
    """``【万家帮】您的健康证将于 2026-12-01 到期，请及时更新`` (Chinese unless ``en``)."""
    lang = "en" if locale.startswith("en") else "zh_CN"
    values = dict(params)
    if "kind" in params:
        label = certificate_label(params["kind"])[lang]
        values["certificate"] = label[:1].lower() + label[1:] if lang == "en" else label
    body = NOTICES[event][lang].format_map(_Blank(values))
    return BRAND[lang].format(brand=tenant.name(lang)) + body


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def provider_locale(tenant: Tenant, chosen: str) -> str:
    """The language the provider chose, if the tenant offers it; else the tenant's default."""
    return chosen if chosen in tenant.config.locales else tenant.config.default_locale


@within_tenant
async def provider_contact(tenant_id: Any, profile_id: str) -> tuple[str, str] | None:
    """``(phone or email, locale)`` of the provider's account, or None when there is none."""
    row = (
        await ProviderProfile.select(
            ProviderProfile.user.phone_enc,
            ProviderProfile.user.email_enc,
            ProviderProfile.user.locale,
        )
        .where((ProviderProfile.id == profile_id) & (ProviderProfile.tenant == tenant_id))
        .first()
    )
    if row is None:
        return None
    if row["user.phone_enc"]:
        to = privacy.unseal(row["user.phone_enc"], field="user.phone", tenant_id=tenant_id)
    elif row["user.email_enc"]:
        to = privacy.unseal(row["user.email_enc"], field="user.email", tenant_id=tenant_id)
    else:
        return None
    return to, row["user.locale"] or ""


class ProviderNotifier:
    """The jobs' ``notify``: one tenant's messages to its providers. Never raises: a provider
    without a contact or a channel outage is logged (the state change is kept either way)."""

    def __init__(self, plugins: DoorstepPluginManager, tenant: Tenant, tenant_id: Any) -> None:
        self.tenant = tenant
        self.tenant_id = tenant_id
        self.channels = tenant_channels(plugins, tenant)
        self.sent = 0

    async def __call__(self, profile_id: str, event: str, params: dict[str, str]) -> None:
        contact = await provider_contact(self.tenant_id, profile_id)
        if contact is None:
            log.warning("provider %s has no phone or email for %s", profile_id, event)
            return
        to, chosen = contact
        locale = provider_locale(self.tenant, chosen)
        message = Message(
            to=to,
            subject=event,
            body=notice_text(self.tenant, locale, event, params),
            locale=locale,
        )
        for channel in self.channels:
            try:
                await channel.send(message)
            except Exception:  # a carrier outage: try the next channel
                log.warning("channel %s could not send %s", channel.identifier, event)
                continue
            self.sent += 1
            return
        log.error("tenant %s: no channel could send %s", self.tenant.slug, event)
