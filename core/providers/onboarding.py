"""The onboarding journey: which steps a provider has done, what comes next, and the step
that saves a certificate together with its photo.

The steps adapt to the services chosen: the police filing only for locksmith work, the
certificates and courses those services need. Every step saves on its own; the last one
sends the profile to the review queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import anyio.to_thread

from core.catalog.model import TenantCatalog
from core.providers.media import MediaError, Upload, prepare
from core.providers.storage import MediaStore
from core.providers.tables import ProviderMedia, ProviderProfile, ProviderSkill
from core.tenancy.model import Tenant
from core.tenancy.scoped import within_tenant
from core.verification import proofs
from core.verification import service as verification
from core.verification.status import Requirements, requirements_for
from core.verification.tables import (
    Certificate,
    IdentityCheck,
    IdentityRecord,
    PoliceFiling,
    TrainingResult,
)

STEPS = (
    "profile",
    "skills",
    "hours",
    "media",
    "identity",
    "certificates",
    "police",
    "training",
    "submit",
)


@dataclass(frozen=True)
class Step:
    key: str
    done: bool


@dataclass
class Onboarding:
    """Everything the wizard shows about one provider, loaded once per page."""

    profile: dict[str, Any]
    skills: list[str]
    media: list[dict[str, Any]]
    has_identity: bool
    requirements: Requirements
    certificates: dict[str, dict[str, Any]]
    """The newest certificate per type."""
    police_filing: dict[str, Any] | None
    police_check: str
    """The police filing check's status, or "" before one is filed."""
    courses_passed: set[str] = field(default_factory=set)

    @property
    def profile_id(self) -> str:
        return str(self.profile["id"])

    @property
    def status(self) -> str:
        return str(self.profile["status"])

    @property
    def submitted(self) -> bool:
        return self.status not in {"onboarding", "rejected"}

    def has(self, kind: str) -> bool:
        return any(m["kind"] == kind for m in self.media)

    def certificate_done(self, code: str) -> bool:
        cert = self.certificates.get(code)
        return cert is not None and cert["status"] in {"pending", "approved"}

    @property
    def steps(self) -> list[Step]:
        """The steps this provider goes through, each done or not, in order."""
        done = {
            "profile": self.profile["name_enc"] is not None,
            "skills": bool(self.skills),
            "hours": bool(_json(self.profile["working_hours"])),
            "media": self.has("avatar"),
            "identity": self.has_identity,
            "certificates": all(map(self.certificate_done, self.requirements.certificates)),
            "police": self.police_filing is not None and self.police_check != "failed",
            "training": all(c.key in self.courses_passed for c in self.requirements.courses),
            "submit": self.submitted,
        }
        shown = [
            key
            for key in STEPS
            if (key != "certificates" or self.requirements.certificates)
            and (key != "police" or self.requirements.police_filing)
            and (key != "training" or self.requirements.courses)
        ]
        return [Step(key, done[key]) for key in shown]

    def next_step(self, after: str | None = None) -> str:
        """The first step not done (after ``after``, if given), else the final one."""
        steps = self.steps
        keys = [s.key for s in steps]
        start = keys.index(after) + 1 if after in keys else 0
        for step in steps[start:] + steps[:start]:
            if not step.done:
                return step.key
        return "submit"

    @property
    def ready(self) -> bool:
        """Every step before the last is done: the profile can go to review."""
        return all(s.done for s in self.steps if s.key != "submit")


def _json(value: Any) -> Any:
    import json

    return json.loads(value) if isinstance(value, str) and value else value


@within_tenant
async def profile_of_user(user_id: str, tenant_id: Any) -> dict[str, Any] | None:
    """The provider profile of a signed-in account of this tenant, if it has one."""
    return await (
        ProviderProfile.select()
        .where((ProviderProfile.user == user_id) & (ProviderProfile.tenant == tenant_id))
        .first()
    )


@within_tenant
async def onboarding_state(
    plugins: Any, tenant: Tenant, tenant_id: Any, catalog: TenantCatalog, profile_id: str
) -> Onboarding:
    """Load the wizard's view of a provider (LookupError if the profile is not this tenant's)."""
    profile = (
        await ProviderProfile.select()
        .where((ProviderProfile.id == profile_id) & (ProviderProfile.tenant == tenant_id))
        .first()
    )
    if profile is None:
        raise LookupError(profile_id)

    def mine(table: Any) -> Any:
        return (table.tenant == tenant_id) & (table.provider == profile_id)

    skills = [
        row["item_ref"]
        for row in await ProviderSkill.select(ProviderSkill.item_ref)
        .where(mine(ProviderSkill))
        .order_by(ProviderSkill.item_ref)
    ]
    media = (
        await ProviderMedia.select().where(mine(ProviderMedia)).order_by(ProviderMedia.created_at)
    )
    certificates: dict[str, dict[str, Any]] = {}
    for cert in (
        await Certificate.select().where(mine(Certificate)).order_by(Certificate.created_at)
    ):
        certificates[cert["kind"]] = cert
    filing = await PoliceFiling.select().where(mine(PoliceFiling)).first()
    check = (
        await IdentityCheck.select(IdentityCheck.status)
        .where(mine(IdentityCheck) & (IdentityCheck.kind == verification.POLICE_FILING))
        .first()
    )
    passed = await TrainingResult.select(TrainingResult.course).where(
        mine(TrainingResult) & TrainingResult.passed_at.is_not_null()
    )
    return Onboarding(
        profile=profile,
        skills=skills,
        media=media,
        has_identity=await IdentityRecord.exists().where(mine(IdentityRecord)),
        requirements=requirements_for(plugins, tenant, catalog, skills),
        certificates=certificates,
        police_filing=filing,
        police_check=check["status"] if check else "",
        courses_passed={row["course"] for row in passed},
    )


async def add_certificate(
    store: MediaStore,
    tenant_id: Any,
    profile_id: str,
    *,
    kind: str,
    number: str,
    issuer: str,
    valid_from: date,
    valid_until: date | None,
    photo: Upload | None,
    today: date | None = None,
) -> str:
    """A certificate from the wizard: its photo is required, checked like any upload, and
    stored with the certificate or not at all. Raises MediaError or VerificationError."""
    if photo is None or not photo.data:
        raise MediaError("image", "add a photo of the certificate")
    image = await anyio.to_thread.run_sync(
        lambda: prepare(photo, kind="certificate", field="image")
    )
    return await proofs.submit_certificate(
        tenant_id,
        profile_id,
        kind=kind,
        number=number,
        issuer=issuer,
        valid_from=valid_from,
        valid_until=valid_until,
        image=image,
        store=store,
        today=today,
    )
