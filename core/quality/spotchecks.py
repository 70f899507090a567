"""Spot checks: every week a random share of last week's completed bookings, per vertical,
becomes a call-back (a short questionnaire) or an on-site inspection (the vertical's scoring
form) for quality inspectors. The score feeds the provider's quality score; a failing one
assigns the vertical's course again, and the provider is not offered that item until they pass
it (the skill is suspended for ``quality:retraining`` through the verification domain)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.booking.service import items_of
from core.booking.tables import Booking
from core.db import write_transaction
from core.quality import ladder
from core.quality.rules import QualityError
from core.quality.score import refresh_provider
from core.quality.tables import Retraining, SpotCheck
from core.tenancy.model import Tenant
from core.tenancy.schema import QualityQuestion
from core.tenancy.scoped import scoped, within_tenant
from core.verification.eligibility import course_for
from core.verification.suspensions import lift_suspension, suspend_skills
from core.verification.tables import TrainingResult

RETRAINING = "quality:retraining"

CALLBACK = [
    QualityQuestion(key="on_time", label={"en": "Arrived on time", "zh_CN": "准时到达"}),
    QualityQuestion(
        key="result", label={"en": "Satisfied with the work", "zh_CN": "对服务结果满意"}
    ),
    QualityQuestion(key="manner", label={"en": "Polite and tidy", "zh_CN": "礼貌、整洁"}),
]
INSPECTION = [
    QualityQuestion(
        key="as_listed", label={"en": "Work done as listed", "zh_CN": "按服务内容完成"}
    ),
    QualityQuestion(key="finish", label={"en": "Quality of the finish", "zh_CN": "完成质量"}),
    QualityQuestion(key="safety", label={"en": "Safe working", "zh_CN": "安全规范"}),
    QualityQuestion(key="tidy", label={"en": "Home left tidy", "zh_CN": "现场整洁"}),
]


def form_for(tenant: Tenant, kind: str, vertical: str) -> list[QualityQuestion]:
    """The questionnaire (call-back) or the vertical's scoring form (inspection): the tenant's
    own from its YAML, else the built-in one."""
    policy = tenant.config.policies.quality
    if kind == "callback":
        return list(policy.callback_questions) or CALLBACK
    return list(policy.inspection_forms.get(vertical) or INSPECTION)


def week_of(tenant: Tenant, now: datetime) -> tuple[str, datetime, datetime]:
    """Last week (Monday to Monday, the tenant's time): its ISO name and its bounds in UTC."""
    tz = ZoneInfo(tenant.config.timezone)
    today = now.astimezone(tz).date()
    this_monday = today - timedelta(days=today.weekday())
    monday = this_monday - timedelta(days=7)
    year, week, _ = monday.isocalendar()
    start = datetime.combine(monday, time(0), tz).astimezone(UTC)
    end = datetime.combine(this_monday, time(0), tz).astimezone(UTC)
    return f"{year}-W{week:02d}", start, end


@within_tenant
async def sample_week(tenant: Tenant, tenant_id: str, now: datetime) -> int:
    """Last week's sample, once: per vertical the tenant's share of completed bookings (at
    least one), chosen by a random draw seeded with the tenant and week (a rerun draws the
    same). Returns how many tasks were created."""
    policy = tenant.config.policies.quality
    if policy.spot_check_percent <= 0:
        return 0
    week, start, end = week_of(tenant, now)
    created = 0
    async with write_transaction():
        done = {
            row["vertical"]
            for row in await SpotCheck.select(SpotCheck.vertical).where(
                (SpotCheck.tenant == tenant_id) & (SpotCheck.week == week)
            )
        }
        rows = await Booking.select(
            Booking.id, Booking.provider, Booking.vertical, Booking.items
        ).where(
            (Booking.tenant == tenant_id)
            & Booking.status.is_in(["completed", "closed"])
            & (Booking.ends_at >= start)
            & (Booking.ends_at < end)
            & Booking.provider.is_not_null()
            & (Booking.total_fen > 0)
        )
        by_vertical: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_vertical.setdefault(row["vertical"], []).append(row)
        for vertical, found in sorted(by_vertical.items()):
            if vertical in done:
                continue
            found.sort(key=lambda r: str(r["id"]))
            size = max(1, math.ceil(len(found) * policy.spot_check_percent / 100))
            chosen = random.Random(f"{tenant_id}:{week}:{vertical}").sample(found, size)  # noqa: S311 - a sample, not a secret
            callbacks = math.ceil(size * policy.callback_percent / 100)
            for n, row in enumerate(chosen):
                await SpotCheck.insert(
                    SpotCheck(
                        tenant=tenant_id,
                        booking=row["id"],
                        provider=row["provider"],
                        vertical=vertical,
                        item_ref=items_of(row)[0]["item"],
                        kind="callback" if n < callbacks else "inspection",
                        week=week,
                        created_at=now,
                    )
                )
                created += 1
    return created


@dataclass(frozen=True)
class SpotCheckResult:
    score: int
    passed: bool
    retraining: str | None
    """The course assigned again, if the check failed and the vertical has one."""


def mark(questions: list[QualityQuestion], answers: dict[str, str]) -> tuple[int, dict[str, int]]:
    """The form's score out of 100; each answer a whole number 0..max, else QualityError."""
    marks = {}
    for q in questions:
        raw = answers.get(q.key, "").strip()
        if not raw.isdigit() or not 0 <= int(raw) <= q.max_score:
            raise QualityError(f"answers.{q.key}", f"give a score from 0 to {q.max_score}")
        marks[q.key] = int(raw)
    total = sum(q.max_score for q in questions) or 1
    return round(sum(marks.values()) * 100 / total), marks


@within_tenant
async def complete(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    task_id: str,
    inspector_id: str,
    answers: dict[str, str],
    now: datetime | None = None,
) -> SpotCheckResult:
    """An inspector records the result. Below the tenant's pass score: points for a failed
    check and the vertical's course again before the provider is offered the item."""
    now = now or datetime.now(UTC)
    async with write_transaction():
        task = (
            await SpotCheck.select()
            .where((SpotCheck.tenant == tenant_id) & (SpotCheck.id == task_id))
            .first()
        )
        if task is None:
            raise LookupError(task_id)
        if task["status"] != "open":
            raise QualityError("task", "this check has already been done", 409)
        score, marks = mark(form_for(tenant, task["kind"], task["vertical"]), answers)
        await (
            scoped(SpotCheck, tenant_id)
            .update(
                {
                    SpotCheck.status: "done",
                    SpotCheck.answers: marks,
                    SpotCheck.score: score,
                    SpotCheck.completed_by: inspector_id,
                    SpotCheck.completed_at: now,
                }
            )
            .where(SpotCheck.id == task_id)
        )
        pid = str(task["provider"])
        passed = score >= tenant.config.policies.quality.spot_check_pass_score
        course = None
        if not passed:
            await ladder.record_event(
                tenant,
                tenant_id,
                pid,
                "failed_spot_check",
                dedupe=f"spot_check:{task_id}",
                now=now,
                booking_id=str(task["booking"]),
                detail=f"{task['kind']} {score}/100",
            )
            course = course_for(plugins, tenant, task["vertical"])
            if course is not None:
                await Retraining.insert(
                    Retraining(
                        tenant=tenant_id,
                        provider=pid,
                        item_ref=task["item_ref"],
                        course=course,
                        spot_check=task_id,
                        assigned_at=now,
                    )
                )
                await suspend_skills(pid, [task["item_ref"]], RETRAINING)
            await ladder.apply_ladder(tenant, tenant_id, pid, now)
        await refresh_provider(tenant, tenant_id, pid, now)
    return SpotCheckResult(score, passed, course)


@within_tenant
async def release_retrained(tenant_id: str, now: datetime) -> int:
    """Retraining passed (a pass of the course after it was assigned): the item is offered
    again once no retraining of the provider is left open. Idempotent."""
    released = 0
    async with write_transaction():
        open_rows = await Retraining.select().where(
            (Retraining.tenant == tenant_id) & Retraining.released_at.is_null()
        )
        for row in open_rows:
            passed = await TrainingResult.exists().where(
                (TrainingResult.tenant == tenant_id)
                & (TrainingResult.provider == row["provider"])
                & (TrainingResult.course == row["course"])
                & (TrainingResult.passed_at >= row["assigned_at"])
            )
            if passed:
                await (
                    scoped(Retraining, tenant_id)
                    .update({Retraining.released_at: now})
                    .where(Retraining.id == row["id"])
                )
                released += 1
        for provider in {row["provider"] for row in open_rows}:
            still = await Retraining.exists().where(
                (Retraining.tenant == tenant_id)
                & (Retraining.provider == provider)
                & Retraining.released_at.is_null()
            )
            if not still:
                await lift_suspension(provider, RETRAINING)
    return released


async def open_tasks(tenant_id: str, *, kind: str | None = None) -> list[dict[str, Any]]:
    query = SpotCheck.select().where((SpotCheck.tenant == tenant_id) & (SpotCheck.status == "open"))
    if kind:
        query = query.where(SpotCheck.kind == kind)
    return list(await query.order_by(SpotCheck.created_at))


async def retraining_of(tenant_id: str, provider_id: str) -> list[dict[str, Any]]:
    return list(
        await Retraining.select().where(
            (Retraining.tenant == tenant_id)
            & (Retraining.provider == provider_id)
            & Retraining.released_at.is_null()
        )
    )
