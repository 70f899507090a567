"""Worker jobs: certificate reminders and expiry, identity re-verification. Idempotent: running
a job twice on the same day sends nothing twice and suspends nothing twice."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from core.catalog.model import TenantCatalog
from core.db import write_transaction
from core.matching.version import bump_matching_version
from core.providers.tables import ProviderProfile
from core.tenancy.model import Tenant
from core.tenancy.scoped import within_tenant
from core.verification.certificates import certificate_label
from core.verification.service import POLICE_FILING, Notify, local_date
from core.verification.suspensions import expired_reason, suspend_skills
from core.verification.tables import Certificate, IdentityCheck


def items_needing(plugins: Any, tenant: Tenant, catalog: TenantCatalog, kind: str) -> list[str]:
    """The items whose every provider needs a certificate of ``kind``: the item's own list and
    the plugins' requirements (a tenant's own items included). A conditional requirement (a
    tutor's no-criminal-record certificate, for minors only) does not take the whole item away:
    eligibility refuses the minors' bookings instead."""
    from core.catalog.service import item_requirements

    return [
        item.ref
        for item in catalog.items
        if any(
            r.code == kind and not r.applies_when for r in item_requirements(plugins, tenant, item)
        )
    ]


def _valid_on(cert: dict[str, Any], day: date) -> bool:
    return cert["valid_from"] <= day and (cert["valid_until"] is None or cert["valid_until"] >= day)


@within_tenant
async def run_certificate_expiry(
    plugins: Any,
    tenant: Tenant,
    tenant_id: Any,
    catalog: TenantCatalog,
    now: datetime,
    notify: Notify,
) -> dict[str, int]:
    """Remind at the tenant's days before expiry (30, 7 and 1), each once; past the last valid
    day (a local date), mark the certificate expired and suspend the provider from every item
    that needs it. A certificate already renewed (another approved one of the same kind is
    valid) is neither reminded about nor a reason to suspend."""
    today = local_date(tenant, now)
    days = sorted(tenant.config.policies.providers.certificate_reminder_days, reverse=True)
    report = {"reminded": 0, "expired": 0, "suspended_items": 0}
    certs = await Certificate.select(
        Certificate.id,
        Certificate.provider,
        Certificate.kind,
        Certificate.valid_from,
        Certificate.valid_until,
        Certificate.reminders_sent,
    ).where((Certificate.tenant == tenant_id) & (Certificate.status == "approved"))
    for cert in certs:
        if cert["valid_until"] is None:
            continue
        left = (cert["valid_until"] - today).days
        provider = str(cert["provider"])
        renewed = any(
            other["id"] != cert["id"]
            and other["provider"] == cert["provider"]
            and other["kind"] == cert["kind"]
            and _valid_on(other, today)
            and (other["valid_until"] is None or other["valid_until"] > cert["valid_until"])
            for other in certs
        )
        if left < 0:
            suspended = 0
            async with write_transaction():
                changed = (
                    await Certificate.update({Certificate.status: "expired"})
                    .where((Certificate.id == cert["id"]) & (Certificate.status == "approved"))
                    .returning(Certificate.id)
                )
                if changed:
                    await bump_matching_version(tenant_id, cert["provider"])
                if changed and not renewed:
                    refs = items_needing(plugins, tenant, catalog, cert["kind"])
                    suspended = await suspend_skills(
                        cert["provider"], refs, expired_reason(cert["kind"])
                    )
            if not changed:
                continue  # another worker got there first
            report["expired"] += 1
            report["suspended_items"] += suspended
            if not renewed:
                await notify(provider, "certificate_expired", _params(cert, left))
            continue
        sent = {int(d) for d in cert["reminders_sent"].split(",") if d}
        due = [d for d in days if left <= d and d not in sent]
        if not due or renewed:
            continue
        async with write_transaction():
            changed = (
                # matching-version: which reminders were sent is not something matching reads
                await Certificate.update(
                    {
                        Certificate.reminders_sent: ",".join(
                            str(d) for d in sorted(sent | set(due), reverse=True)
                        )
                    }
                )
                .where(
                    (Certificate.id == cert["id"])
                    & (Certificate.reminders_sent == cert["reminders_sent"])
                )
                .returning(Certificate.id)
            )
        if not changed:
            continue
        report["reminded"] += 1
        await notify(provider, "certificate_expiring", _params(cert, left))
    return report


def _params(cert: dict[str, Any], left: int) -> dict[str, str]:
    label = certificate_label(cert["kind"])
    return {
        "kind": cert["kind"],
        "certificate_zh": label["zh_CN"],
        "certificate_en": label["en"],
        "valid_until": cert["valid_until"].isoformat(),
        "days_left": str(max(left, 0)),
    }


@within_tenant
async def run_identity_recheck(tenant_id: Any, now: datetime, notify: Notify) -> dict[str, int]:
    """Checks past the tenant's period expire: the provider verifies again (the locksmith's
    police filing is re-checked on the same period). One notice per provider and subject."""
    due = await IdentityCheck.select(
        IdentityCheck.id, IdentityCheck.provider, IdentityCheck.kind
    ).where(
        (IdentityCheck.tenant == tenant_id)
        & (IdentityCheck.status == "passed")
        & IdentityCheck.valid_until.is_not_null()
        & (IdentityCheck.valid_until <= now)
    )
    notices: set[tuple[str, str]] = set()
    expired = 0
    async with write_transaction():
        for check in due:
            changed = (
                await IdentityCheck.update({IdentityCheck.status: "expired"})
                .where((IdentityCheck.id == check["id"]) & (IdentityCheck.status == "passed"))
                .returning(IdentityCheck.id)
            )
            if not changed:
                continue
            await bump_matching_version(tenant_id, check["provider"])
            expired += 1
            event = (
                "police_filing_recheck_due"
                if check["kind"] == POLICE_FILING
                else "identity_recheck_due"
            )
            notices.add((str(check["provider"]), event))
    for provider, event in sorted(notices):
        await notify(provider, event, {})
    return {"expired_checks": expired, "providers": len({p for p, _ in notices})}


@within_tenant
async def active_providers(tenant_id: Any) -> int:
    return await ProviderProfile.count().where(
        (ProviderProfile.tenant == tenant_id) & (ProviderProfile.status == "active")
    )


async def run_verification_jobs(
    plugins: Any, tenant: Tenant, tenant_id: Any, now: datetime
) -> dict[str, int]:
    """One worker pass of one tenant: vendor results, certificate expiry, identity re-checks,
    each notice sent to the provider in their language. Returns the counts."""
    from core.catalog.service import build_catalog
    from core.verification.identity import poll_vendor_checks
    from core.verification.notices import ProviderNotifier

    notify = ProviderNotifier(plugins, tenant, tenant_id)
    verifiers = [
        verifier
        for found in plugins.for_tenant(tenant).identity_verifiers()
        for verifier in found or []
    ]
    vendor = await poll_vendor_checks(tenant, tenant_id, verifiers, now=now, notify=notify)
    catalog = build_catalog(plugins, tenant)[0]
    certificates = await run_certificate_expiry(plugins, tenant, tenant_id, catalog, now, notify)
    identity = await run_identity_recheck(tenant_id, now, notify)
    return {
        "vendor_passed": vendor["passed"],
        "vendor_failed": vendor["failed"],
        "vendor_timed_out": vendor["timed_out"],
        "certificates_reminded": certificates["reminded"],
        "certificates_expired": certificates["expired"],
        "items_suspended": certificates["suspended_items"],
        "identity_checks_expired": identity["expired_checks"],
        "notices_sent": notify.sent,
    }
