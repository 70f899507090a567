"""Eligibility: a provider's checks, certificates, courses and skills loaded in one go (or for
many providers at once), and the one rule of whether they may be offered an item at a time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from core import rawsql
from core.providers.tables import ProviderProfile, ProviderSkill
from core.tenancy.model import Tenant
from core.tenancy.scoped import within_tenant
from core.verification.service import IDENTITY_CHECKS, POLICE_FILING, local_date
from core.verification.tables import Certificate, IdentityCheck, TrainingResult


@dataclass
class ProviderChecks:
    """Everything known about one provider's checks, loaded once."""

    status: str
    checks: dict[str, dict[str, Any]]
    certificates: list[dict[str, Any]]
    courses_passed: set[str]
    skills: dict[str, dict[str, Any]] = field(default_factory=dict)


@within_tenant
async def load_checks(tenant_id: Any, profile_id: str) -> ProviderChecks:
    profile = (
        await ProviderProfile.select(ProviderProfile.status)
        .where((ProviderProfile.id == profile_id) & (ProviderProfile.tenant == tenant_id))
        .first()
    )
    if profile is None:
        raise LookupError(profile_id)
    checks = await IdentityCheck.select().where(
        (IdentityCheck.tenant == tenant_id) & (IdentityCheck.provider == profile_id)
    )
    certs = await Certificate.select(
        Certificate.id,
        Certificate.kind,
        Certificate.status,
        Certificate.valid_from,
        Certificate.valid_until,
        Certificate.issuer,
    ).where((Certificate.tenant == tenant_id) & (Certificate.provider == profile_id))
    passed = await TrainingResult.select(TrainingResult.course).where(
        (TrainingResult.tenant == tenant_id)
        & (TrainingResult.provider == profile_id)
        & TrainingResult.passed_at.is_not_null()
    )
    skills = await ProviderSkill.select().where(
        (ProviderSkill.tenant == tenant_id) & (ProviderSkill.provider == profile_id)
    )
    return ProviderChecks(
        status=profile["status"],
        checks={c["kind"]: c for c in checks},
        certificates=certs,
        courses_passed={p["course"] for p in passed},
        skills={s["item_ref"]: s for s in skills},
    )


def check_ok(check: dict[str, Any] | None, on: datetime) -> bool:
    return bool(
        check
        and check["status"] == "passed"
        and (check["valid_until"] is None or check["valid_until"] > on)
    )


def certificate_valid(certs: list[dict[str, Any]], kind: str, on: date) -> bool:
    return any(
        c["kind"] == kind
        and c["status"] == "approved"
        and c["valid_from"] <= on
        and (c["valid_until"] is None or c["valid_until"] >= on)
        for c in certs
    )


@dataclass(frozen=True)
class Eligibility:
    ok: bool
    missing: list[str]
    """What stops it, as codes: ``status:suspended``, ``check:face_match``,
    ``certificate:electrician_licence``, ``training:repair.service_basics``, ``skill``."""


def eligibility(
    state: ProviderChecks,
    item_ref: str,
    requirements: Iterable[Any],
    *,
    on: datetime,
    course: str | None,
    context: dict[str, bool] | None = None,
    today: date | None = None,
) -> Eligibility:
    """Pure: may this provider be offered this item at ``on``? Every required check passed and
    valid, every required certificate approved and valid, the course passed, not suspended.

    ``today`` is the tenant's local date at ``on`` (certificates are valid through a local date;
    defaults to ``on``'s own date). A conditional requirement (``applies_when``) is waived only
    when ``context`` says the condition does not hold: an unknown condition counts as holding,
    so a tutor without a no-criminal-record certificate is never offered for an unknown pupil.
    """
    context = context or {}
    today = today or on.date()
    missing = []
    if state.status != "active":
        missing.append(f"status:{state.status}")
    skill = state.skills.get(item_ref)
    if skill is None:
        missing.append("skill")
    elif skill["suspended"]:
        missing.append(f"suspended:{skill['suspended_reason'] or 'item'}")
    for kind in IDENTITY_CHECKS:
        if not check_ok(state.checks.get(kind), on):
            missing.append(f"check:{kind}")
    for requirement in requirements:
        if requirement.applies_when and context.get(requirement.applies_when, True) is False:
            continue
        if requirement.code == POLICE_FILING:
            if not check_ok(state.checks.get(POLICE_FILING), on):
                missing.append(f"check:{POLICE_FILING}")
        elif not certificate_valid(state.certificates, requirement.code, today):
            missing.append(f"certificate:{requirement.code}")
    if course and course not in state.courses_passed:
        missing.append(f"training:{course}")
    return Eligibility(ok=not missing, missing=missing)


def course_for(plugins: Any, tenant: Tenant, vertical: str) -> str | None:
    """The course a vertical's providers must pass, if the tenant requires training."""
    if not tenant.config.policies.providers.training_required:
        return None
    for found in plugins.for_tenant(tenant).training_courses():
        for course in found or []:
            if course.vertical == vertical:
                return str(course.key)
    return None


@within_tenant
async def offerable(
    plugins: Any,
    tenant: Tenant,
    tenant_id: Any,
    catalog: Any,
    profile_id: str,
    item_ref: str,
    on: datetime,
    context: dict[str, bool] | None = None,
) -> Eligibility:
    """Whether the provider can be offered ``item_ref`` at ``on`` (the one rule matching uses)."""
    from core.catalog.service import item_requirements

    item = catalog.item(item_ref)
    if item is None:
        return Eligibility(ok=False, missing=["item"])
    state = await load_checks(tenant_id, profile_id)
    return eligibility(
        state,
        item_ref,
        item_requirements(plugins, tenant, item),
        on=on,
        course=course_for(plugins, tenant, item.vertical),
        context=context,
        today=local_date(tenant, on),
    )


async def load_checks_many(
    tenant_id: Any, profile_ids: list[Any] | None
) -> dict[str, ProviderChecks]:
    """``load_checks`` for many providers (None: every provider of the tenant) in five
    hand-written queries (matching ranks many at once; ``core.rawsql``: one parameter for the
    whole id list, ids read as text)."""
    if profile_ids is not None and not profile_ids:
        return {}
    tenant = str(tenant_id)

    def among(table: Any, column: str) -> tuple[str, list[Any]]:
        if profile_ids is None:
            return "", []
        sql, ids = rawsql.ids_in(table, column, profile_ids)
        return f" AND {sql}", [ids]

    async def rows(table: Any, columns: str, extra: str = "") -> list[dict[str, Any]]:
        where, ids = among(table, "provider")
        return await rawsql.select(
            table,
            f"SELECT {rawsql.text_id('provider', 'provider')}, {columns} "  # noqa: S608
            f"FROM {table._meta.tablename} WHERE tenant = {{}}{where}{extra}",
            tenant,
            *ids,
        )

    where, ids = among(ProviderProfile, "id")
    states = {
        p["id"]: ProviderChecks(
            status=p["status"], checks={}, certificates=[], courses_passed=set()
        )
        for p in await rawsql.select(
            ProviderProfile,
            f"SELECT {rawsql.text_id('id', 'id')}, status FROM providers_profile "  # noqa: S608
            f"WHERE tenant = {{}}{where}",
            tenant,
            *ids,
        )
    }
    for check in await rows(IdentityCheck, "kind, status, valid_until"):
        states[check["provider"]].checks[check["kind"]] = check
    for cert in await rows(Certificate, "kind, status, valid_from, valid_until, issuer"):
        states[cert["provider"]].certificates.append(cert)
    for result in await rows(TrainingResult, "course", " AND passed_at IS NOT NULL"):
        states[result["provider"]].courses_passed.add(result["course"])
    for skill in await rows(ProviderSkill, "item_ref, suspended, suspended_reason"):
        skill["suspended"] = bool(skill["suspended"])
        states[skill["provider"]].skills[skill["item_ref"]] = skill
    return states
