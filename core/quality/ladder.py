"""Penalties: points for what went wrong, the ladder they climb (warning, suspension for N days,
permanent removal), each step explained with the events behind it, and the provider's appeal.

A suspension or removal takes the provider off every offer through the one rule matching uses:
the profile's status is no longer ``active`` (``core.verification.eligibility.eligibility``). The
status reason names the step (``quality:suspension:<id>``), so only that step's end or an
upheld appeal gives the status back, never someone else's suspension."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.db import write_transaction
from core.matching.version import bump_matching_version
from core.notifications.outbox import enqueue
from core.privacy import service as privacy
from core.providers.tables import ProviderProfile
from core.quality.rules import QualityError
from core.quality.tables import PenaltyEvent, Sanction
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, within_tenant

LEVELS = ("warning", "suspension", "removal")
EVENT_KINDS = ("lateness", "no_show", "upheld_complaint", "rudeness", "failed_spot_check")


def points_for(tenant: Tenant, kind: str) -> int:
    return int(getattr(tenant.config.policies.quality.points, kind))


def _ids(value: Any) -> list[str]:
    return [str(v) for v in (json.loads(value) if isinstance(value, str) else value or [])]


async def record_event(
    tenant: Tenant,
    tenant_id: str,
    provider_id: str,
    kind: str,
    *,
    dedupe: str,
    now: datetime,
    booking_id: str | None = None,
    complaint_id: str | None = None,
    detail: str = "",
) -> bool:
    """Inside a write transaction: points for ``kind``. False if ``dedupe`` was recorded
    before (every source records idempotently) or the tenant gives the kind no points."""
    points = points_for(tenant, kind)
    if points <= 0 or await scoped(PenaltyEvent, tenant_id).exists().where(
        PenaltyEvent.dedupe == dedupe
    ):
        return False
    await PenaltyEvent.insert(
        PenaltyEvent(
            tenant=tenant_id,
            provider=provider_id,
            kind=kind,
            points=points,
            booking=booking_id,
            complaint=complaint_id,
            detail=detail[:200],
            dedupe=dedupe[:120],
            at=now,
        )
    )
    return True


async def window_events(tenant: Tenant, tenant_id: str, provider_id: str, now: datetime) -> list:
    since = now - timedelta(days=tenant.config.policies.quality.points_window_days)
    return list(
        await PenaltyEvent.select()
        .where(
            (PenaltyEvent.tenant == tenant_id)
            & (PenaltyEvent.provider == provider_id)
            & (PenaltyEvent.voided == False)  # noqa: E712 - a column comparison
            & (PenaltyEvent.at >= since)
        )
        .order_by(PenaltyEvent.at)
    )


def step_for(tenant: Tenant, points: int) -> str | None:
    """The highest step ``points`` reach (thresholds of 0 are off)."""
    ladder = tenant.config.policies.quality.ladder
    reached = None
    for level, threshold in zip(
        LEVELS, (ladder.warning, ladder.suspension, ladder.removal), strict=True
    ):
        if threshold > 0 and points >= threshold:
            reached = level
    return reached


async def apply_ladder(
    tenant: Tenant, tenant_id: str, provider_id: str, now: datetime
) -> str | None:
    """Inside a write transaction: give the step the provider's points reach, unless a step as
    high was already given in the window. Returns the new step's id."""
    policy = tenant.config.policies.quality
    events = await window_events(tenant, tenant_id, provider_id, now)
    total = sum(e["points"] for e in events)
    level = step_for(tenant, total)
    if level is None:
        return None
    since = now - timedelta(days=policy.points_window_days)
    given = await Sanction.select(Sanction.level).where(
        (Sanction.tenant == tenant_id)
        & (Sanction.provider == provider_id)
        & (Sanction.starts_at >= since)
        & (Sanction.status != "overturned")
    )
    if any(LEVELS.index(g["level"]) >= LEVELS.index(level) for g in given):
        return None
    sanction = Sanction(
        tenant=tenant_id,
        provider=provider_id,
        level=level,
        points=total,
        events=[str(e["id"]) for e in events],
        starts_at=now,
        ends_at=now + timedelta(days=policy.ladder.suspension_days)
        if level == "suspension"
        else None,
        appeal_until=now + timedelta(days=policy.ladder.appeal_days),
    )
    await Sanction.insert(sanction)
    if level != "warning":
        profile = (
            await ProviderProfile.select(ProviderProfile.status, ProviderProfile.status_reason)
            .where((ProviderProfile.tenant == tenant_id) & (ProviderProfile.id == provider_id))
            .first()
        )
        ours = profile is not None and profile["status_reason"].startswith("quality:")
        if profile is not None and (profile["status"] == "active" or ours):
            await (
                scoped(ProviderProfile, tenant_id)
                .update(
                    {
                        ProviderProfile.status: "suspended" if level == "suspension" else "removed",
                        ProviderProfile.status_reason: f"quality:{level}:{sanction.id}",
                    }
                )
                .where(ProviderProfile.id == provider_id)
            )
            await bump_matching_version(tenant_id, provider_id)
    await enqueue(
        tenant_id,
        "quality.sanction",
        {"sanction_id": str(sanction.id), "provider_id": provider_id, "level": level},
    )
    return str(sanction.id)


async def _restore(tenant_id: str, provider_id: Any, sanction_id: str) -> None:
    """Give the status back if (and only if) this step is what took it."""
    profile = (
        await ProviderProfile.select(ProviderProfile.status_reason)
        .where((ProviderProfile.tenant == tenant_id) & (ProviderProfile.id == provider_id))
        .first()
    )
    if profile is not None and profile["status_reason"].endswith(f":{sanction_id}"):
        await (
            scoped(ProviderProfile, tenant_id)
            .update({ProviderProfile.status: "active", ProviderProfile.status_reason: ""})
            .where(ProviderProfile.id == provider_id)
        )
        await bump_matching_version(tenant_id, provider_id)


@within_tenant
async def end_served_suspensions(tenant_id: str, now: datetime) -> int:
    """Suspensions whose days are over: the provider is offered jobs again. Idempotent."""
    async with write_transaction():
        due = await Sanction.select(Sanction.id, Sanction.provider).where(
            (Sanction.tenant == tenant_id)
            & (Sanction.level == "suspension")
            & (Sanction.status == "active")
            & (Sanction.ends_at <= now)
        )
        for row in due:
            await (
                scoped(Sanction, tenant_id)
                .update({Sanction.status: "served"})
                .where(Sanction.id == row["id"])
            )
            await _restore(tenant_id, row["provider"], str(row["id"]))
    return len(due)


# --- explaining and appealing ---------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    id: str
    level: str
    points: int
    status: str
    starts_at: datetime
    ends_at: datetime | None
    appeal_until: datetime
    appeal_decision: str
    appeal_reason: str
    appeal_text: str
    events: list[dict[str, Any]]
    can_appeal: bool


async def steps_of(tenant_id: str, provider_id: str, now: datetime) -> list[Step]:
    """Every step given to the provider, newest first, each with the events behind it."""
    rows = await (
        Sanction.select()
        .where((Sanction.tenant == tenant_id) & (Sanction.provider == provider_id))
        .order_by(Sanction.starts_at, ascending=False)
    )
    wanted = {i for row in rows for i in _ids(row["events"])}
    events = {
        str(e["id"]): e
        for e in (
            await PenaltyEvent.select().where(
                (PenaltyEvent.tenant == tenant_id) & PenaltyEvent.id.is_in(list(wanted))
            )
            if wanted
            else []
        )
    }
    return [
        Step(
            id=str(row["id"]),
            level=row["level"],
            points=row["points"],
            status=row["status"],
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
            appeal_until=row["appeal_until"],
            appeal_decision=row["appeal_decision"],
            appeal_reason=row["appeal_reason"],
            appeal_text=privacy.unseal(
                row["appeal_enc"], field="sanction.appeal", tenant_id=tenant_id
            )
            if row["appeal_enc"]
            else "",
            events=[events[i] for i in _ids(row["events"]) if i in events],
            can_appeal=row["appeal_decision"] == "" and now <= row["appeal_until"],
        )
        for row in rows
    ]


@within_tenant
async def appeal(
    tenant_id: str, sanction_id: str, provider_id: str, text: str, now: datetime | None = None
) -> None:
    """The provider appeals a step within its window; staff review it. Another provider's
    step: LookupError."""
    now = now or datetime.now(UTC)
    body = text.strip()
    if not body:
        raise QualityError("text", "say why the step is wrong")
    if len(body) > 2000:
        raise QualityError("text", "at most 2000 characters")
    async with write_transaction():
        row = (
            await Sanction.select()
            .where(
                (Sanction.tenant == tenant_id)
                & (Sanction.id == sanction_id)
                & (Sanction.provider == provider_id)
            )
            .first()
        )
        if row is None:
            raise LookupError(sanction_id)
        if row["appeal_decision"]:
            raise QualityError("sanction", "this step has already been appealed", 409)
        if now > row["appeal_until"]:
            raise QualityError("sanction", "the window to appeal this step has closed", 409)
        await (
            scoped(Sanction, tenant_id)
            .update(
                {
                    Sanction.appeal_enc: privacy.seal(
                        body, field="sanction.appeal", tenant_id=tenant_id
                    ),
                    Sanction.appealed_at: now,
                    Sanction.appeal_decision: "pending",
                }
            )
            .where(Sanction.id == sanction_id)
        )


@within_tenant
async def decide_appeal(
    tenant_id: str,
    sanction_id: str,
    staff_id: str,
    *,
    uphold: bool,
    reason: str,
    now: datetime | None = None,
) -> None:
    """Staff decide a pending appeal. Upheld: the step is overturned, its events no longer
    count and the provider's status comes back; rejected: the step stands."""
    now = now or datetime.now(UTC)
    if not reason.strip():
        raise QualityError("reason", "give the reason for the decision")
    async with write_transaction():
        row = (
            await Sanction.select()
            .where((Sanction.tenant == tenant_id) & (Sanction.id == sanction_id))
            .first()
        )
        if row is None:
            raise LookupError(sanction_id)
        if row["appeal_decision"] != "pending":
            raise QualityError("sanction", "there is no appeal waiting on this step", 409)
        values: dict[Any, Any] = {
            Sanction.appeal_decision: "upheld" if uphold else "rejected",
            Sanction.appeal_reason: reason.strip()[:300],
            Sanction.reviewed_by: staff_id,
            Sanction.reviewed_at: now,
        }
        if uphold:
            values[Sanction.status] = "overturned"
            if events := _ids(row["events"]):
                await PenaltyEvent.update({PenaltyEvent.voided: True}).where(
                    (PenaltyEvent.tenant == tenant_id) & PenaltyEvent.id.is_in(events)
                )
            await _restore(tenant_id, row["provider"], sanction_id)
        await scoped(Sanction, tenant_id).update(values).where(Sanction.id == sanction_id)
        await enqueue(
            tenant_id,
            "quality.appeal_decided",
            {"sanction_id": sanction_id, "decision": values[Sanction.appeal_decision]},
        )


async def pending_appeals(tenant_id: str) -> list[dict[str, Any]]:
    return list(
        await Sanction.select()
        .where((Sanction.tenant == tenant_id) & (Sanction.appeal_decision == "pending"))
        .order_by(Sanction.appealed_at)
    )
