"""What a provider has to prove for the services they chose, and where each proof stands.

One answer for the onboarding wizard, the provider's status page, the admin review queue and
the ``getVerificationStatus`` API operation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from core.catalog.model import TenantCatalog
from core.catalog.service import item_requirements
from core.providers.tables import ProviderProfile
from core.tenancy.model import Tenant
from core.tenancy.scoped import within_tenant
from core.verification.eligibility import ProviderChecks, certificate_valid, load_checks
from core.verification.schemas import Course
from core.verification.service import POLICE_FILING, local_date
from core.verification.tables import Certificate, TrainingResult

IDENTITY_STEPS = ("phone", "id_number", "address", "real_name", "face_match")
"""Identity checks in the order a provider meets them."""
CheckStatus = Literal["passed", "pending", "failed", "expired", "missing"]


@dataclass(frozen=True)
class Requirements:
    """What the chosen services ask of a provider."""

    certificates: list[str]
    """Certificate codes (``health_certificate``...), the police filing excluded."""
    police_filing: bool
    courses: list[Course]


def tenant_courses(plugins: Any, tenant: Tenant) -> list[Course]:
    """The training courses of the tenant's verticals, if the tenant requires training."""
    if not tenant.config.policies.providers.training_required:
        return []
    return [
        course for found in plugins.for_tenant(tenant).training_courses() for course in found or []
    ]


def requirements_for(
    plugins: Any, tenant: Tenant, catalog: TenantCatalog, item_refs: list[str]
) -> Requirements:
    """Every certificate, filing and course the items need (a conditional certificate, such as
    a tutor's no-criminal-record certificate for pupils under 18, is asked for too: matching
    counts an unknown condition as holding)."""
    codes: list[str] = []
    police = False
    verticals: set[str] = set()
    for ref in item_refs:
        item = catalog.item(ref)
        if item is None:
            continue
        verticals.add(item.vertical)
        for requirement in item_requirements(plugins, tenant, item):
            if requirement.code == POLICE_FILING:
                police = True
            elif requirement.code not in codes:
                codes.append(requirement.code)
    courses = [c for c in tenant_courses(plugins, tenant) if c.vertical in verticals]
    return Requirements(certificates=codes, police_filing=police, courses=courses)


@dataclass(frozen=True)
class CheckState:
    key: str
    """``phone``, ``id_number``, ``address``, ``real_name``, ``face_match``, ``police_filing``,
    ``certificate:<code>`` or ``training:<course key>``."""
    group: Literal["identity", "police", "certificate", "training"]
    status: CheckStatus
    reason: str = ""
    valid_until: date | None = None
    score: int | None = None
    """The latest quiz score (training only)."""


@dataclass(frozen=True)
class VerificationStatus:
    provider_status: str
    status_reason: str
    checks: list[CheckState]
    requirements: Requirements

    @property
    def waiting(self) -> bool:
        """A vendor's answer is awaited (the page refreshes itself meanwhile)."""
        return any(c.status == "pending" and c.group == "identity" for c in self.checks)

    @property
    def complete(self) -> bool:
        return all(c.status == "passed" for c in self.checks)


def _identity_state(kind: str, check: dict[str, Any] | None, now: datetime) -> CheckState:
    group: Literal["identity", "police"] = "police" if kind == POLICE_FILING else "identity"
    if check is None:
        return CheckState(kind, group, "missing")
    until = check["valid_until"]
    status = check["status"]
    if status == "passed" and until is not None and until <= now:
        status = "expired"
    return CheckState(
        kind, group, status, check["reason"], until.date() if until is not None else None
    )


def certificate_state(certs: list[dict[str, Any]], code: str, today: date) -> CheckState:
    """The best certificate of a type: a valid approved one, else the newest."""
    key = f"certificate:{code}"
    mine = [c for c in certs if c["kind"] == code]
    valid = [c for c in mine if certificate_valid([c], code, today)]
    if valid:
        ends = [c["valid_until"] for c in valid]
        return CheckState(key, "certificate", "passed", "", None if None in ends else max(ends))
    if not mine:
        return CheckState(key, "certificate", "missing")
    newest = max(mine, key=lambda c: c.get("created_at") or c["valid_from"])
    status: CheckStatus = {"pending": "pending", "rejected": "failed"}.get(  # type: ignore[assignment]
        newest["status"], "expired"
    )
    return CheckState(key, "certificate", status, newest.get("reason", ""), newest["valid_until"])


@within_tenant
async def verification_status(
    plugins: Any,
    tenant: Tenant,
    tenant_id: Any,
    catalog: TenantCatalog,
    profile_id: str,
    now: datetime,
) -> VerificationStatus:
    """Each check the provider's services need, with its state. LookupError if no profile."""
    state: ProviderChecks = await load_checks(tenant_id, profile_id)
    profile = (
        await ProviderProfile.select(ProviderProfile.status_reason)
        .where((ProviderProfile.id == profile_id) & (ProviderProfile.tenant == tenant_id))
        .first()
    )
    requirements = requirements_for(plugins, tenant, catalog, sorted(state.skills))
    checks = [_identity_state(kind, state.checks.get(kind), now) for kind in IDENTITY_STEPS]
    if requirements.police_filing:
        checks.append(_identity_state(POLICE_FILING, state.checks.get(POLICE_FILING), now))
    if requirements.certificates:
        certs = await Certificate.select(
            Certificate.kind,
            Certificate.status,
            Certificate.valid_from,
            Certificate.valid_until,
            Certificate.reason,
            Certificate.created_at,
        ).where((Certificate.tenant == tenant_id) & (Certificate.provider == profile_id))
        today = local_date(tenant, now)
        checks += [certificate_state(certs, code, today) for code in requirements.certificates]
    if requirements.courses:
        scores = await latest_scores(tenant_id, profile_id)
        for course in requirements.courses:
            passed = course.key in state.courses_passed
            score = scores.get(course.key)
            status: CheckStatus = "passed" if passed else "missing" if score is None else "failed"
            checks.append(CheckState(f"training:{course.key}", "training", status, score=score))
    return VerificationStatus(
        provider_status=state.status,
        status_reason=profile["status_reason"] if profile else "",
        checks=checks,
        requirements=requirements,
    )


async def latest_scores(tenant_id: Any, profile_id: str) -> dict[str, int]:
    """The latest quiz score per course."""
    rows = await (
        TrainingResult.select(TrainingResult.course, TrainingResult.score)
        .where((TrainingResult.tenant == tenant_id) & (TrainingResult.provider == profile_id))
        .order_by(TrainingResult.taken_at)
    )
    return {row["course"]: row["score"] for row in rows}
