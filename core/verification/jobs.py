"""Worker jobs: certificate reminders and expiry, identity re-verification. Idempotent: running
a job twice on the same day sends nothing twice and suspends nothing twice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from core.catalog.model import TenantCatalog
from core.db import write_transaction
from core.providers.tables import ProviderProfile, ProviderSkill
from core.tenancy.model import Tenant
from core.verification.certificates import certificate_label
from core.verification.tables import Certificate, IdentityCheck

Notify = Callable[[str, str, dict[str, str]], Awaitable[None]]
"""``notify(provider_profile_id, event, params)``: tell the provider (through their channels)."""


def items_needing(catalog: TenantCatalog, kind: str) -> list[str]:
    return [item.ref for item in catalog.items if kind in item.required_certifications]


async def run_certificate_expiry(
    tenant: Tenant, tenant_id: Any, catalog: TenantCatalog, now: datetime, notify: Notify
) -> dict[str, int]:
    """Remind 30, 7 and 1 days before (the tenant's days); at expiry, mark the certificate
    expired and suspend the provider from every item that needs it."""
    today = now.date()
    days = sorted(tenant.config.policies.providers.certificate_reminder_days, reverse=True)
    report = {"reminded": 0, "expired": 0, "suspended_items": 0}
    certs = await Certificate.select().where(
        (Certificate.tenant == tenant_id)
        & (Certificate.status == "approved")
        & Certificate.valid_until.is_not_null()
    )
    for cert in certs:
        left = (cert["valid_until"] - today).days
        provider = str(cert["provider"])
        if left < 0:
            refs = items_needing(catalog, cert["kind"])
            async with write_transaction():
                await Certificate.update({Certificate.status: "expired"}).where(
                    (Certificate.id == cert["id"]) & (Certificate.status == "approved")
                )
                if refs:
                    suspended = (
                        await ProviderSkill.update(
                            {
                                ProviderSkill.suspended: True,
                                ProviderSkill.suspended_reason: f"expired:{cert['kind']}",
                            }
                        )
                        .where(
                            (ProviderSkill.provider == cert["provider"])
                            & ProviderSkill.item_ref.is_in(refs)
                            & (ProviderSkill.suspended == False)  # noqa: E712 - a column comparison
                        )
                        .returning(ProviderSkill.id)
                    )
                    report["suspended_items"] += len(suspended)
            report["expired"] += 1
            await notify(provider, "certificate_expired", _params(cert, left))
            continue
        sent = {int(d) for d in cert["reminders_sent"].split(",") if d}
        due = [d for d in days if left <= d and d not in sent]
        if not due:
            continue
        async with write_transaction():
            await Certificate.update(
                {
                    Certificate.reminders_sent: ",".join(
                        str(d) for d in sorted(sent | set(due), reverse=True)
                    )
                }
            ).where(Certificate.id == cert["id"])
        report["reminded"] += 1
        await notify(provider, "certificate_expiring", _params(cert, left))
    return report


def _params(cert: dict[str, Any], left: int) -> dict[str, str]:
    label = certificate_label(cert["kind"])
    return {
        "certificate_zh": label["zh_CN"],
        "certificate_en": label["en"],
        "valid_until": cert["valid_until"].isoformat(),
        "days_left": str(max(left, 0)),
    }


async def run_identity_recheck(tenant_id: Any, now: datetime, notify: Notify) -> dict[str, int]:
    """Identity checks past the tenant's period expire: the provider verifies again."""
    due = await IdentityCheck.select(
        IdentityCheck.id, IdentityCheck.provider, IdentityCheck.kind
    ).where(
        (IdentityCheck.tenant == tenant_id)
        & (IdentityCheck.status == "passed")
        & IdentityCheck.valid_until.is_not_null()
        & (IdentityCheck.valid_until <= now)
    )
    providers: set[str] = set()
    async with write_transaction():
        for check in due:
            await IdentityCheck.update({IdentityCheck.status: "expired"}).where(
                (IdentityCheck.id == check["id"]) & (IdentityCheck.status == "passed")
            )
            providers.add(str(check["provider"]))
    for provider in sorted(providers):
        await notify(provider, "identity_recheck_due", {})
    return {"expired_checks": len(due), "providers": len(providers)}


async def active_providers(tenant_id: Any) -> int:
    return await ProviderProfile.count().where(
        (ProviderProfile.tenant == tenant_id) & (ProviderProfile.status == "active")
    )
