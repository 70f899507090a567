"""Proofs beyond identity: certificates and police filings a provider submits and an admin
reviews, and the training quiz."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from core.db import write_transaction
from core.matching.version import bump_matching_version
from core.privacy import service as privacy
from core.providers.media import PreparedMedia
from core.providers.storage import MediaStore, insert_media_row
from core.tenancy.model import Tenant
from core.tenancy.scoped import within_tenant
from core.verification.certificates import CERTIFICATE_TYPES
from core.verification.schemas import Course
from core.verification.service import (
    POLICE_FILING,
    VerificationError,
    recheck_until,
    set_check,
    utcnow,
)
from core.verification.suspensions import expired_reason, lift_suspension
from core.verification.tables import Certificate, IdentityCheck, PoliceFiling, TrainingResult
from core.verification.training import mark


@within_tenant
async def submit_certificate(
    tenant_id: Any,
    profile_id: str,
    *,
    kind: str,
    number: str,
    issuer: str,
    valid_from: date,
    valid_until: date | None,
    image_id: str | None = None,
    image: PreparedMedia | None = None,
    store: MediaStore | None = None,
    today: date | None = None,
) -> str:
    """Record a certificate for review (number encrypted). ``image``, a prepared photo of it
    (``core.providers.media.prepare``), is stored with it in ``store``: the file and both rows
    are saved together or not at all."""
    today = today or utcnow().date()
    if kind not in CERTIFICATE_TYPES or kind == POLICE_FILING:
        raise VerificationError("kind", "not a certificate type this platform knows")
    if not 4 <= len(number.strip()) <= 40:
        raise VerificationError("number", "give the certificate number as printed")
    if not issuer.strip():
        raise VerificationError("issuer", "who issued it?")
    if valid_from > today:
        raise VerificationError("valid_from", "the certificate is not valid yet")
    if valid_until is not None and valid_until < today:
        raise VerificationError("valid_until", "this certificate has expired")
    if valid_until is not None and valid_until <= valid_from:
        raise VerificationError("valid_until", "must be after the start date")
    if image is not None and store is None:
        raise ValueError("a certificate image needs the media store")
    # The file first, its row and the certificate's in one transaction; a failure removes the
    # file again, so nothing is left half-saved.
    key = store.write(tenant_id, image) if image is not None and store is not None else None
    try:
        async with write_transaction():
            if image is not None and key is not None:
                image_id = await insert_media_row(tenant_id, profile_id, image, key)
            cert = Certificate(
                tenant=tenant_id,
                provider=profile_id,
                kind=kind,
                number_enc=privacy.seal(
                    number.strip(), field="certificate.number", tenant_id=tenant_id
                ),
                issuer=issuer.strip()[:120],
                valid_from=valid_from,
                valid_until=valid_until,
                image=image_id,
                status="pending",
            )
            await cert.save()
            await bump_matching_version(tenant_id, profile_id)
    except BaseException:
        if key is not None and store is not None:
            store.remove(tenant_id, key)
        raise
    return str(cert.id)


@within_tenant
async def review_certificate(
    tenant_id: Any,
    certificate_id: str,
    *,
    approve: bool,
    reason: str,
    reviewer_id: str,
    now: datetime | None = None,
) -> None:
    """An admin approves or rejects (with a reason). Approval lifts suspensions it resolves."""
    now = now or utcnow()
    if not approve and not reason.strip():
        raise VerificationError("reason", "say why it is rejected")
    async with write_transaction():
        cert = (
            await Certificate.select(
                Certificate.id,
                Certificate.provider,
                Certificate.kind,
                Certificate.status,
                Certificate.valid_until,
            )
            .where((Certificate.id == certificate_id) & (Certificate.tenant == tenant_id))
            .first()
        )
        if cert is None:
            raise LookupError(certificate_id)
        if cert["status"] != "pending":
            raise VerificationError("status", "this certificate was already reviewed")
        if approve and cert["valid_until"] is not None and cert["valid_until"] < now.date():
            raise VerificationError("valid_until", "this certificate expired while waiting")
        await Certificate.update(
            {
                Certificate.status: "approved" if approve else "rejected",
                Certificate.reason: reason[:300],
                Certificate.reviewed_by: reviewer_id,
                Certificate.reviewed_at: now,
            }
        ).where(Certificate.id == certificate_id)
        await bump_matching_version(tenant_id, cert["provider"])
        if approve:
            await lift_suspension(cert["provider"], expired_reason(cert["kind"]))


@within_tenant
async def submit_police_filing(
    tenant_id: Any,
    profile_id: str,
    *,
    filing_number: str,
    bureau: str,
    filed_on: date,
    now: datetime | None = None,
) -> None:
    """A locksmith's filing: its own record, and a check an admin reviews against the bureau."""
    now = now or utcnow()
    if not 6 <= len(filing_number.strip()) <= 40:
        raise VerificationError("filing_number", "give the filing number as issued")
    if not bureau.strip():
        raise VerificationError("bureau", "which public security bureau issued it?")
    if filed_on > now.date():
        raise VerificationError("filed_on", "cannot be in the future")
    sealed = privacy.seal(filing_number.strip(), field="police_filing.number", tenant_id=tenant_id)
    async with write_transaction():
        if await PoliceFiling.exists().where(PoliceFiling.provider == profile_id):
            await PoliceFiling.update(
                {
                    PoliceFiling.filing_number_enc: sealed,
                    PoliceFiling.bureau: bureau.strip()[:120],
                    PoliceFiling.filed_on: filed_on,
                }
            ).where(PoliceFiling.provider == profile_id)
        else:
            await PoliceFiling.insert(
                PoliceFiling(
                    tenant=tenant_id,
                    provider=profile_id,
                    filing_number_enc=sealed,
                    bureau=bureau.strip()[:120],
                    filed_on=filed_on,
                )
            )
        await set_check(tenant_id, profile_id, POLICE_FILING, "pending", now=now)


@within_tenant
async def review_police_filing(
    tenant: Tenant,
    tenant_id: Any,
    profile_id: str,
    *,
    approve: bool,
    reason: str,
    now: datetime | None = None,
) -> None:
    now = now or utcnow()
    if not approve and not reason.strip():
        raise VerificationError("reason", "say why it is rejected")
    async with write_transaction():
        check = (
            await IdentityCheck.select(IdentityCheck.status)
            .where(
                (IdentityCheck.tenant == tenant_id)
                & (IdentityCheck.provider == profile_id)
                & (IdentityCheck.kind == POLICE_FILING)
            )
            .first()
        )
        filed = await PoliceFiling.exists().where(
            (PoliceFiling.tenant == tenant_id) & (PoliceFiling.provider == profile_id)
        )
        if check is None or not filed:
            raise VerificationError("police_filing", "this provider has not submitted a filing")
        if check["status"] != "pending":
            raise VerificationError("status", "this filing was already reviewed")
        await set_check(
            tenant_id,
            profile_id,
            POLICE_FILING,
            "passed" if approve else "failed",
            now=now,
            reason=reason,
            valid_until=recheck_until(tenant, now) if approve else None,
        )


# --- training -------------------------------------------------------------------------------


@within_tenant
async def take_quiz(
    tenant_id: Any,
    profile_id: str,
    course: Course,
    answers: dict[str, str],
    now: datetime | None = None,
) -> tuple[int, bool]:
    now = now or utcnow()
    score = mark(course, answers)
    passed = score >= course.pass_mark
    async with write_transaction():
        await TrainingResult.insert(
            TrainingResult(
                tenant=tenant_id,
                provider=profile_id,
                course=course.key,
                score=score,
                passed_at=now if passed else None,
                taken_at=now,
            )
        )
        await bump_matching_version(tenant_id, profile_id)
    return score, passed
