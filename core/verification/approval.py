"""The provider's own review: onboarding done, the profile waits in the admin's queue, and is
approved (active) or rejected with a reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.db import write_transaction
from core.matching.version import bump_matching_version
from core.providers.tables import ProviderProfile, ProviderSkill
from core.tenancy.scoped import within_tenant
from core.verification.service import VerificationError, utcnow
from core.verification.tables import IdentityRecord


@within_tenant
async def submit_for_review(tenant_id: Any, profile_id: str) -> None:
    """The provider finished onboarding: the profile goes to the admin review queue."""
    profile = (
        await ProviderProfile.select(ProviderProfile.status, ProviderProfile.name_enc)
        .where((ProviderProfile.id == profile_id) & (ProviderProfile.tenant == tenant_id))
        .first()
    )
    if profile is None:
        raise LookupError(profile_id)
    if profile["name_enc"] is None:
        raise VerificationError("profile", "fill in your profile first")
    if not await IdentityRecord.exists().where(IdentityRecord.provider == profile_id):
        raise VerificationError("identity", "verify your identity first")
    if not await ProviderSkill.exists().where(ProviderSkill.provider == profile_id):
        raise VerificationError("skills", "choose the services you do first")
    if profile["status"] not in {"onboarding", "rejected"}:
        return
    async with write_transaction():
        await ProviderProfile.update({ProviderProfile.status: "pending_review"}).where(
            ProviderProfile.id == profile_id
        )
        await bump_matching_version(tenant_id, profile_id)


@within_tenant
async def review_provider(
    tenant_id: Any, profile_id: str, *, approve: bool, reason: str, now: datetime | None = None
) -> None:
    """Approve (active) or reject with a reason. Items stay unofferable until their checks pass."""
    now = now or utcnow()
    if not approve and not reason.strip():
        raise VerificationError("reason", "say why the provider is rejected")
    async with write_transaction():
        profile = (
            await ProviderProfile.select(ProviderProfile.status)
            .where((ProviderProfile.id == profile_id) & (ProviderProfile.tenant == tenant_id))
            .first()
        )
        if profile is None:
            raise LookupError(profile_id)
        if profile["status"] != "pending_review":
            raise VerificationError("status", "this provider is not waiting for review")
        values: dict[Any, Any] = {
            ProviderProfile.status: "active" if approve else "rejected",
            ProviderProfile.status_reason: reason.strip()[:300],
        }
        if approve:
            values[ProviderProfile.activated_at] = now
        await ProviderProfile.update(values).where(ProviderProfile.id == profile_id)
        await bump_matching_version(tenant_id, profile_id)
