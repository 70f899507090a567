"""Identity: the ID card checked here, real name and face matched by a vendor (polled until it
answers or times out), and the phone proved by a sign-in code."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from core.db import write_transaction
from core.matching.version import bump_matching_version
from core.privacy import service as privacy
from core.tenancy.model import Tenant
from core.tenancy.scoped import within_tenant
from core.verification.idcard import IdNumberError, age_on, parse_id_number
from core.verification.schemas import CheckOutcome, IdentityVerifier
from core.verification.service import (
    Notify,
    VerificationError,
    recheck_until,
    set_check,
    utcnow,
)
from core.verification.tables import IdentityCheck, IdentityRecord

log = logging.getLogger("doorstep.verification")
VENDOR_CHECKS = ("real_name", "face_match")
VENDOR_TIMEOUT = timedelta(minutes=10)


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
        await set_check(tenant_id, profile_id, "id_number", "passed", now=now, valid_until=until)
        await set_check(tenant_id, profile_id, "address", "passed", now=now, valid_until=until)
        for kind, ref in refs.items():
            await set_check(
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
        await set_check(
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
