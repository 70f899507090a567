"""The admin's review of providers: the queue, one provider's file with every check and
certificate (numbers masked), and the audited reveal of a clear number.

Decisions themselves (approve or reject a certificate, a police filing, the provider) are
``core.verification.proofs``' and ``core.verification.approval``'s; this module only gathers
what the reviewer looks at.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from core.catalog.model import TenantCatalog
from core.catalog.service import item_requirements
from core.privacy import service as privacy
from core.privacy.masking import mask_id_number, mask_name
from core.providers.storage import PRIVATE_TTL, signed_url
from core.providers.tables import ProviderMedia, ProviderProfile, ProviderSkill
from core.tenancy.model import Tenant
from core.tenancy.scoped import within_tenant
from core.verification.certificates import certificate_label
from core.verification.eligibility import Eligibility, course_for, eligibility, load_checks
from core.verification.service import local_date
from core.verification.status import VerificationStatus, verification_status
from core.verification.tables import Certificate, IdentityRecord, PoliceFiling

QUEUE_STATUSES = ("pending_review", "active", "suspended", "rejected", "onboarding")
PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueEntry:
    id: str
    name: str
    """Masked: ``王**``."""
    status: str
    created_at: datetime
    skills: int
    pending_certificates: int


@within_tenant
async def review_queue(tenant_id: Any, status: str = "pending_review") -> list[QueueEntry]:
    """Providers in ``status``, oldest first (the longest-waiting are reviewed first)."""
    rows = (
        await ProviderProfile.select(
            ProviderProfile.id,
            ProviderProfile.name_enc,
            ProviderProfile.status,
            ProviderProfile.created_at,
        )
        .where((ProviderProfile.tenant == tenant_id) & (ProviderProfile.status == status))
        .order_by(ProviderProfile.created_at)
        .limit(PAGE_SIZE)
    )
    ids = [row["id"] for row in rows]
    skills: dict[str, int] = {}
    pending: dict[str, int] = {}
    if ids:
        for skill in await ProviderSkill.select(ProviderSkill.provider).where(
            (ProviderSkill.tenant == tenant_id) & ProviderSkill.provider.is_in(ids)
        ):
            skills[str(skill["provider"])] = skills.get(str(skill["provider"]), 0) + 1
        for cert in await Certificate.select(Certificate.provider).where(
            (Certificate.tenant == tenant_id)
            & Certificate.provider.is_in(ids)
            & (Certificate.status == "pending")
        ):
            pending[str(cert["provider"])] = pending.get(str(cert["provider"]), 0) + 1
    return [
        QueueEntry(
            id=str(row["id"]),
            name=mask_name(_open(row["name_enc"], "provider.name", tenant_id)),
            status=row["status"],
            created_at=row["created_at"],
            skills=skills.get(str(row["id"]), 0),
            pending_certificates=pending.get(str(row["id"]), 0),
        )
        for row in rows
    ]


def _open(stored: str | None, field: str, tenant_id: Any) -> str:
    return privacy.unseal(stored, field=field, tenant_id=tenant_id) if stored else ""


@dataclass(frozen=True)
class CertificateView:
    id: str
    kind: str
    label: dict[str, str]
    number: str
    """Masked unless revealed."""
    issuer: str
    valid_from: date
    valid_until: date | None
    status: str
    reason: str
    image_url: str | None


@dataclass(frozen=True)
class ProviderFile:
    """One provider as the reviewer sees them."""

    id: str
    user_id: str
    name: str
    gender: str
    birth_year: int | None
    years_experience: int
    status: str
    status_reason: str
    id_number: str
    real_name: str
    address: str
    police_filing: dict[str, Any] | None
    certificates: list[CertificateView]
    checks: VerificationStatus
    skills: list[tuple[str, Eligibility]]
    photos: list[str]


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@within_tenant
async def provider_file(
    plugins: Any,
    tenant: Tenant,
    tenant_id: Any,
    catalog: TenantCatalog,
    profile_id: str,
    now: datetime,
) -> ProviderFile:
    """Everything to review one provider, numbers masked. LookupError if not this tenant's."""
    wanted = _uuid(profile_id)
    row = (
        await ProviderProfile.select()
        .where((ProviderProfile.id == wanted) & (ProviderProfile.tenant == tenant_id))
        .first()
        if wanted
        else None
    )
    if row is None:
        raise LookupError(profile_id)

    def mine(table: Any) -> Any:
        return (table.tenant == tenant_id) & (table.provider == wanted)

    identity = await IdentityRecord.select().where(mine(IdentityRecord)).first()
    filing = await PoliceFiling.select().where(mine(PoliceFiling)).first()
    media = {
        m["id"]: m
        for m in await ProviderMedia.select(
            ProviderMedia.id, ProviderMedia.kind, ProviderMedia.storage_key
        ).where(mine(ProviderMedia))
    }
    certs = await Certificate.select().where(mine(Certificate)).order_by(Certificate.created_at)
    state = await load_checks(tenant_id, str(wanted))
    today = local_date(tenant, now)
    skills = []
    for ref in sorted(state.skills):
        item = catalog.item(ref)
        if item is None:
            continue
        found = eligibility(
            state,
            ref,
            item_requirements(plugins, tenant, item),
            on=now,
            course=course_for(plugins, tenant, item.vertical),
            today=today,
        )
        skills.append((ref, found))

    def image(cert: dict[str, Any]) -> str | None:
        found = media.get(cert["image"]) if cert["image"] else None
        return signed_url(tenant_id, found["storage_key"], now, PRIVATE_TTL) if found else None

    return ProviderFile(
        id=str(wanted),
        user_id=str(row["user"]),
        name=mask_name(_open(row["name_enc"], "provider.name", tenant_id)),
        gender=row["gender"],
        birth_year=row["birth_year"],
        years_experience=row["years_experience"],
        status=row["status"],
        status_reason=row["status_reason"],
        id_number=mask_id_number(_open(identity["number_enc"], "identity.number", tenant_id))
        if identity
        else "",
        real_name=mask_name(_open(identity["real_name_enc"], "identity.real_name", tenant_id))
        if identity
        else "",
        address=mask_name(_open(identity["address_enc"], "identity.address", tenant_id))
        if identity
        else "",
        police_filing={
            "number": mask_id_number(
                _open(filing["filing_number_enc"], "police_filing.number", tenant_id)
            ),
            "bureau": filing["bureau"],
            "filed_on": filing["filed_on"],
        }
        if filing
        else None,
        certificates=[
            CertificateView(
                id=str(c["id"]),
                kind=c["kind"],
                label=certificate_label(c["kind"]),
                number=mask_id_number(_open(c["number_enc"], "certificate.number", tenant_id)),
                issuer=c["issuer"],
                valid_from=c["valid_from"],
                valid_until=c["valid_until"],
                status=c["status"],
                reason=c["reason"],
                image_url=image(c),
            )
            for c in certs
        ],
        checks=await verification_status(plugins, tenant, tenant_id, catalog, str(wanted), now),
        skills=skills,
        photos=[
            signed_url(tenant_id, m["storage_key"], now, PRIVATE_TTL)
            for m in media.values()
            if m["kind"] in {"avatar", "photo"}
        ],
    )


REVEALABLE = {
    "id_number": (IdentityRecord, "number_enc", "identity.number"),
    "real_name": (IdentityRecord, "real_name_enc", "identity.real_name"),
    "address": (IdentityRecord, "address_enc", "identity.address"),
    "police_filing": (PoliceFiling, "filing_number_enc", "police_filing.number"),
}


@within_tenant
async def reveal_for_review(
    tenant_id: Any, profile_id: str, what: str, reader: privacy.Reader
) -> str:
    """The clear value of one number or name, recorded in the read log first.

    ``what`` is ``id_number``, ``real_name``, ``address``, ``police_filing`` or
    ``certificate:<id>``. LookupError when there is nothing of that kind for this provider."""
    wanted = _uuid(profile_id)
    profile = (
        await ProviderProfile.select(ProviderProfile.user)
        .where((ProviderProfile.id == wanted) & (ProviderProfile.tenant == tenant_id))
        .first()
        if wanted
        else None
    )
    if profile is None:
        raise LookupError(profile_id)
    kind, _, ident = what.partition(":")
    if kind == "certificate":
        cert_id = _uuid(ident)
        row = (
            await Certificate.select(Certificate.number_enc)
            .where(
                (Certificate.id == cert_id)
                & (Certificate.tenant == tenant_id)
                & (Certificate.provider == wanted)
            )
            .first()
            if cert_id
            else None
        )
        stored, field = (row["number_enc"] if row else None), "certificate.number"
    elif what in REVEALABLE:
        table, column, field = REVEALABLE[what]
        row = (
            await table.select(getattr(table, column))
            .where((table.tenant == tenant_id) & (table.provider == wanted))  # type: ignore[attr-defined]
            .first()
        )
        stored = row[column] if row else None
    else:
        raise LookupError(what)
    if not stored:
        raise LookupError(what)
    return await privacy.reveal(
        stored, field=field, tenant_id=tenant_id, subject_id=profile["user"], reader=reader
    )
