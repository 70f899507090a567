"""Verification rules: identity checks through vendors, certificates and police filings under
review, the training gate, and whether a provider may be offered an item on a day."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core import rawsql
from core.db import write_transaction
from core.matching.index import bump_matching_version
from core.privacy import service as privacy
from core.providers.media import PreparedMedia
from core.providers.storage import MediaStore, insert_media_row
from core.providers.tables import ProviderProfile, ProviderSkill
from core.tenancy.model import Tenant
from core.tenancy.scoped import within_tenant
from core.verification.certificates import CERTIFICATE_TYPES
from core.verification.idcard import IdNumberError, age_on, parse_id_number
from core.verification.schemas import CheckOutcome, Course, IdentityVerifier
from core.verification.tables import (
    Certificate,
    IdentityCheck,
    IdentityRecord,
    PoliceFiling,
    TrainingResult,
)
from core.verification.training import mark

log = logging.getLogger("doorstep.verification")
IDENTITY_CHECKS = ("id_number", "real_name", "face_match", "phone")
VENDOR_CHECKS = ("real_name", "face_match")
VENDOR_TIMEOUT = timedelta(minutes=10)
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


async def _set_check(
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


@within_tenant
async def submit_identity(
    tenant: Tenant,
    tenant_id: Any,
    profile_id: str,
    *,
    id_number: str,
    real_name: str,
    address: str,
    liveness_token: str,
    verifier: IdentityVerifier,
    now: datetime | None = None,
) -> None:
    """Record the ID card (encrypted) and start the vendor's real-name and face checks.

    The number is checked here (GB 11643: checksum, real birth date, known region, adult);
    real name and face are matched by the vendor, asynchronously. No face image is ever stored:
    the phone hands the vendor's liveness token over, and only the vendor's result is kept.
    """
    now = now or utcnow()
    try:
        parsed = parse_id_number(id_number, today=now.date())
    except IdNumberError as exc:
        raise VerificationError("id_number", str(exc)) from None
    if age_on(parsed.birth_date, now.date()) < 18:
        raise VerificationError("id_number", "providers must be adults")
    name = real_name.strip()
    if not 2 <= len(name) <= 30:
        raise VerificationError("real_name", "give the name exactly as on the ID card")
    if not liveness_token.strip():
        raise VerificationError("liveness_token", "take the face check on your phone first")
    if not address.strip():
        raise VerificationError("address", "give your home address")
    number_idx = privacy.lookup_key(parsed.value, purpose="id_number", tenant_id=tenant_id)
    taken = await IdentityRecord.exists().where(
        (IdentityRecord.tenant == tenant_id)
        & (IdentityRecord.number_idx == number_idx)
        & (IdentityRecord.provider != profile_id)
    )
    if taken:
        raise VerificationError("id_number", "this ID card already backs another provider")
    evidence = {"real_name": name, "id_number": parsed.value, "liveness_token": liveness_token}
    refs = {
        kind: await verifier.start(profile_id, {**evidence, "check": kind})
        for kind in VENDOR_CHECKS
    }
    sealed: dict[Any, Any] = {
        IdentityRecord.number_enc: privacy.seal(
            parsed.value, field="identity.number", tenant_id=tenant_id
        ),
        IdentityRecord.real_name_enc: privacy.seal(
            name, field="identity.real_name", tenant_id=tenant_id
        ),
        IdentityRecord.address_enc: privacy.seal(
            address.strip(), field="identity.address", tenant_id=tenant_id
        ),
        IdentityRecord.number_idx: number_idx,
    }
    async with write_transaction():
        existing = await IdentityRecord.exists().where(IdentityRecord.provider == profile_id)
        if existing:
            await IdentityRecord.update(sealed).where(IdentityRecord.provider == profile_id)
        else:
            await IdentityRecord.insert(
                IdentityRecord(
                    tenant=tenant_id,
                    provider=profile_id,
                    **{column._meta.name: value for column, value in sealed.items()},
                )
            )
        until = recheck_until(tenant, now)
        await _set_check(tenant_id, profile_id, "id_number", "passed", now=now, valid_until=until)
        await _set_check(tenant_id, profile_id, "address", "passed", now=now, valid_until=until)
        for kind, ref in refs.items():
            await _set_check(
                tenant_id,
                profile_id,
                kind,
                "pending",
                now=now,
                verifier=verifier.identifier,
                vendor_ref=ref,
            )


@within_tenant
async def record_phone_verified(
    tenant: Tenant, tenant_id: Any, profile_id: str, now: datetime | None = None
) -> None:
    """The provider signed in with a one-time code: the number is theirs."""
    now = now or utcnow()
    async with write_transaction():
        await _set_check(
            tenant_id,
            profile_id,
            "phone",
            "passed",
            now=now,
            valid_until=recheck_until(tenant, now),
        )


@within_tenant
async def poll_vendor_checks(
    tenant: Tenant,
    tenant_id: Any,
    verifiers: Iterable[IdentityVerifier],
    now: datetime | None = None,
    notify: Notify | None = None,
) -> dict[str, int]:
    """Ask vendors about pending checks; fail those that never answer within ten minutes (the
    provider submits again: a new attempt). Idempotent. ``notify`` tells a provider whose check
    failed or timed out (once per provider and pass)."""
    now = now or utcnow()
    by_id = {v.identifier: v for v in verifiers}
    pending = await IdentityCheck.select().where(
        (IdentityCheck.tenant == tenant_id)
        & (IdentityCheck.status == "pending")
        & (IdentityCheck.vendor_ref != "")
    )
    report = {"passed": 0, "failed": 0, "timed_out": 0, "waiting": 0}
    failed: dict[str, tuple[str, str]] = {}
    for check in pending:
        verifier = by_id.get(check["verifier"])
        outcome = await _vendor_result(verifier, check["vendor_ref"])
        status: str
        if outcome is not None and outcome.status in {"passed", "failed"}:
            status, reason, counted = outcome.status, outcome.reason, str(outcome.status)
        elif now - check["started_at"] >= VENDOR_TIMEOUT:
            status, reason, counted = "failed", VENDOR_SILENT, "timed_out"
        else:
            report["waiting"] += 1
            continue
        async with write_transaction():
            # Only the attempt that was asked about: a new submission since then stays pending.
            changed = (
                await IdentityCheck.update(
                    {
                        IdentityCheck.status: status,
                        IdentityCheck.reason: reason[:300],
                        IdentityCheck.checked_at: now,
                        IdentityCheck.valid_until: (
                            recheck_until(tenant, now) if status == "passed" else None
                        ),
                    }
                )
                .where(
                    (IdentityCheck.id == check["id"])
                    & (IdentityCheck.status == "pending")
                    & (IdentityCheck.vendor_ref == check["vendor_ref"])
                )
                .returning(IdentityCheck.id)
            )
            if changed:
                await bump_matching_version(tenant_id, check["provider"])
        if not changed:
            continue
        report[counted] += 1
        if status == "failed":
            event = (
                "identity_check_timed_out" if counted == "timed_out" else "identity_check_failed"
            )
            failed.setdefault(str(check["provider"]), (event, reason))
    if notify is not None:
        for provider, (event, reason) in sorted(failed.items()):
            await notify(provider, event, {"reason": reason})
    return report


VENDOR_SILENT = "the verification service did not answer in time; try again"


async def _vendor_result(verifier: IdentityVerifier | None, reference: str) -> CheckOutcome | None:
    """The vendor's answer, or None when there is no answer (no such vendor, or it is down)."""
    if verifier is None:
        return None
    try:
        return await verifier.result(reference)
    except Exception:  # a vendor outage: the check waits, then times out
        log.warning("identity verifier %s did not answer", verifier.identifier)
        return None


# --- certificates and police filings ---------------------------------------------------------


def expired_reason(kind: str) -> str:
    """Why a skill is suspended when a certificate of ``kind`` lapsed: ``expired:<kind>``."""
    return f"expired:{kind}"


def suspension_reasons(value: str) -> list[str]:
    """A skill's ``suspended_reason`` holds every reason, comma-separated: it stays suspended
    until the last one is resolved (two lapsed certificates need two renewals)."""
    return [reason for reason in value.split(",") if reason]


async def suspend_skills(profile_id: Any, item_refs: list[str], reason: str) -> int:
    """Suspend the provider from ``item_refs`` for ``reason`` (inside a write transaction).
    Returns how many skills gained the reason: a reason already recorded is not added twice."""
    if not item_refs:
        return 0
    skills = await ProviderSkill.select(
        ProviderSkill.id, ProviderSkill.suspended_reason, ProviderSkill.tenant
    ).where((ProviderSkill.provider == profile_id) & ProviderSkill.item_ref.is_in(item_refs))
    added = 0
    for skill in skills:
        reasons = suspension_reasons(skill["suspended_reason"])
        if reason in reasons:
            continue
        await ProviderSkill.update(
            {
                ProviderSkill.suspended: True,
                ProviderSkill.suspended_reason: ",".join([*reasons, reason]),
            }
        ).where(ProviderSkill.id == skill["id"])
        await bump_matching_version(skill["tenant"], profile_id)
        added += 1
    return added


async def lift_suspension(profile_id: Any, reason: str) -> int:
    """Remove ``reason`` from the provider's suspended skills (inside a write transaction); a
    skill with no reason left is offerable again. Returns how many skills were released."""
    skills = await ProviderSkill.select(
        ProviderSkill.id, ProviderSkill.suspended_reason, ProviderSkill.tenant
    ).where(
        (ProviderSkill.provider == profile_id) & (ProviderSkill.suspended == True)  # noqa: E712
    )
    released = 0
    for skill in skills:
        reasons = suspension_reasons(skill["suspended_reason"])
        if reason not in reasons:
            continue
        left = [r for r in reasons if r != reason]
        await ProviderSkill.update(
            {ProviderSkill.suspended: bool(left), ProviderSkill.suspended_reason: ",".join(left)}
        ).where(ProviderSkill.id == skill["id"])
        await bump_matching_version(skill["tenant"], profile_id)
        released += not left
    return released


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
        await _set_check(tenant_id, profile_id, POLICE_FILING, "pending", now=now)


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
        await _set_check(
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


# --- eligibility ----------------------------------------------------------------------------


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


def _check_ok(check: dict[str, Any] | None, on: datetime) -> bool:
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
        if not _check_ok(state.checks.get(kind), on):
            missing.append(f"check:{kind}")
    for requirement in requirements:
        if requirement.applies_when and context.get(requirement.applies_when, True) is False:
            continue
        if requirement.code == POLICE_FILING:
            if not _check_ok(state.checks.get(POLICE_FILING), on):
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
