"""What every verification module shares: the error a provider sees, the check kinds, the
clock, the time-zone date, and the one write of a check's latest state. The rules themselves
live by what they verify: ``identity`` (ID card, phone, the vendors' checks), ``proofs``
(certificates, police filings, the training quiz), ``suspensions``, ``eligibility`` (may a
provider be offered an item) and ``approval`` (the provider's own review)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.matching.version import bump_matching_version
from core.tenancy.model import Tenant
from core.verification.tables import IdentityCheck

IDENTITY_CHECKS = ("id_number", "real_name", "face_match", "phone")
POLICE_FILING = "police_filing"

Notify = Callable[[str, str, dict[str, str]], Awaitable[None]]
"""``notify(provider_profile_id, event, params)``: tell the provider (through their channels).
Must not raise: a channel outage is the notifier's to log (``core.verification.notices``)."""


class VerificationError(Exception):
    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


def utcnow() -> datetime:
    return datetime.now(UTC)


async def set_check(
    tenant_id: Any,
    profile_id: str,
    kind: str,
    status: str,
    *,
    now: datetime,
    verifier: str = "",
    vendor_ref: str = "",
    reason: str = "",
    valid_until: datetime | None = None,
) -> None:
    """One row per (provider, kind): the latest state of that check."""
    existing = (
        await IdentityCheck.select(IdentityCheck.id, IdentityCheck.attempts)
        .where(
            (IdentityCheck.tenant == tenant_id)
            & (IdentityCheck.provider == profile_id)
            & (IdentityCheck.kind == kind)
        )
        .first()
    )
    values: dict[Any, Any] = {
        "status": status,
        "verifier": verifier,
        "vendor_ref": vendor_ref,
        "reason": reason[:300],
        "valid_until": valid_until,
        "checked_at": now if status != "pending" else None,
    }
    if existing is None:
        await IdentityCheck.insert(
            IdentityCheck(
                tenant=tenant_id,
                provider=profile_id,
                kind=kind,
                started_at=now,
                attempts=1,
                **values,
            )
        )
    else:
        started: dict[Any, Any] = (
            {"started_at": now, "attempts": existing["attempts"] + 1} if status == "pending" else {}
        )
        await IdentityCheck.update({**values, **started}).where(IdentityCheck.id == existing["id"])
    # The checks are part of what matching's candidate index keeps in memory.
    await bump_matching_version(tenant_id, profile_id)


def local_date(tenant: Tenant, moment: datetime) -> date:
    """The date at ``moment`` in the tenant's time zone (certificates run to a local date)."""
    return moment.astimezone(ZoneInfo(tenant.config.timezone)).date()


def recheck_until(tenant: Tenant, now: datetime) -> datetime:
    return now + timedelta(days=tenant.config.policies.providers.identity_recheck_days)
