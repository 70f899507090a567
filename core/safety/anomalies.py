"""The watch over active jobs: anomalies in the trail raise an "are you OK?" to the person
concerned; an unanswered one (or "I need help") becomes an incident for the safety officers.

The rules, each on the tenant's ``policies.safety`` numbers:

* ``no_progress``: en route, and over the last N minutes the provider got no closer to the
  address (by at least ``PROGRESS_M``);
* ``long_stop``: en route, every position of the last N minutes within ``STOP_M`` of each
  other, away from the address;
* ``left_site``: on site (arrived or working), the newest position further than the check-in
  geofence plus the margin (the distance rule is booking's ``metres_from_address``);
* ``overstay``: on site long past the planned end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.booking import service as booking_service
from core.booking.states import PROVIDER
from core.booking.tables import Booking, BookingTransition
from core.db import write_transaction
from core.dispatch.schemas import great_circle_km
from core.notifications.outbox import enqueue
from core.providers.tables import ProviderProfile
from core.safety import service, sos, trail
from core.safety.tables import WellbeingCheck
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, within_tenant

PROGRESS_M = 150.0
STOP_M = 50.0
ANOMALIES = ("no_progress", "long_stop", "left_site", "overstay")


@dataclass(frozen=True)
class Finding:
    anomaly: str
    detail: str


def _metres(a: trail.Fix, b: trail.Fix) -> float:
    return great_circle_km(a.lat, a.lng, b.lat, b.lng) * 1000


def detect(
    tenant: Tenant,
    tenant_id: str,
    booking: dict[str, Any],
    fixes: list[trail.Fix],
    status_since: datetime,
    now: datetime,
) -> list[Finding]:
    """The anomalies the trail (oldest first) shows now. Pure but for opening the address."""
    policy = tenant.config.policies.safety
    found: list[Finding] = []
    status = booking["status"]
    if status == "en_route" and fixes:

        def away(f: trail.Fix) -> float:
            return booking_service.metres_from_address(tenant_id, booking, (f.lat, f.lng))

        window = timedelta(minutes=policy.no_progress_minutes)
        older = [f for f in fixes if f.at <= now - window]
        if older and status_since <= now - window:
            before, latest = older[-1], fixes[-1]
            if away(latest) > away(before) - PROGRESS_M:
                found.append(Finding("no_progress", f"{away(latest):.0f} m from the address"))
        stop = timedelta(minutes=policy.long_stop_minutes)
        recent = [f for f in fixes if f.at >= now - stop]
        covered = [f for f in fixes if f.at <= now - stop]
        geofence = tenant.config.policies.booking.geofence_m
        if covered and recent and status_since <= now - stop:
            group = [covered[-1], *recent]
            if all(_metres(group[0], f) <= STOP_M for f in group) and away(group[-1]) > geofence:
                found.append(Finding("long_stop", f"still for {policy.long_stop_minutes} min"))
    if status in {"arrived", "in_progress"}:
        if fixes and fixes[-1].at >= status_since:
            limit = tenant.config.policies.booking.geofence_m + policy.left_site_margin_m
            metres = booking_service.metres_from_address(
                tenant_id, booking, (fixes[-1].lat, fixes[-1].lng)
            )
            if metres > limit:
                found.append(Finding("left_site", f"{metres:.0f} m from the address"))
        if now > booking["ends_at"] + timedelta(minutes=policy.overstay_minutes):
            found.append(Finding("overstay", f"planned end {booking['ends_at'].isoformat()}"))
    return found


async def _status_since(tenant_id: str, booking: dict[str, Any]) -> datetime:
    row = (
        await scoped(BookingTransition, tenant_id)
        .select(BookingTransition.at)
        .where(
            (BookingTransition.booking == booking["id"])
            & (BookingTransition.to_state == booking["status"])
        )
        .order_by(BookingTransition.at, ascending=False)
        .first()
    )
    return row["at"] if row else booking["updated_at"]


@within_tenant
async def watch_jobs(plugins: Any, tenant: Tenant, tenant_id: str, now: datetime) -> dict[str, int]:
    """One pass of the watch: ask "are you OK?" for each new anomaly (once per job and kind
    while unanswered), then open incidents for the questions nobody answered in time."""
    asked = 0
    jobs = (
        await scoped(Booking, tenant_id)
        .select()
        .where(Booking.status.is_in(list(trail.TRAIL_STATES)))
    )
    answer_within = timedelta(minutes=tenant.config.policies.safety.prompt_answer_minutes)
    for booking in jobs:
        since = await _status_since(tenant_id, booking)
        fixes = await trail.system_trail(
            tenant_id, str(booking["id"]), since=now - timedelta(hours=2)
        )
        findings = detect(tenant, tenant_id, booking, fixes, since, now)
        if not findings:
            continue
        provider = (
            await scoped(ProviderProfile, tenant_id)
            .select(ProviderProfile.user)
            .where(ProviderProfile.id == booking["provider"])
            .first()
        )
        if provider is None:
            continue
        for finding in findings:
            if (
                await scoped(WellbeingCheck, tenant_id)
                .exists()
                .where(
                    (WellbeingCheck.booking == booking["id"])
                    & (WellbeingCheck.anomaly == finding.anomaly)
                    & (
                        (WellbeingCheck.answer == "")
                        | (WellbeingCheck.asked_at >= now - timedelta(hours=1))
                    )
                )
            ):
                continue  # asked already (and not long ago answered)
            check = WellbeingCheck(
                tenant=tenant_id,
                booking=booking["id"],
                user=provider["user"],
                anomaly=finding.anomaly,
                asked_at=now,
                due_at=now + answer_within,
            )
            async with write_transaction():
                await scoped(WellbeingCheck, tenant_id).insert(check)
                # Also through the channels, for a phone whose job page is closed.
                await enqueue(tenant_id, "safety.check", {"check_id": str(check.id)}, at=now)
            asked += 1
    opened = await escalate_unanswered(plugins, tenant, tenant_id, now)
    report = {"safety_checks_asked": asked, "safety_checks_unanswered": opened}
    return {k: v for k, v in report.items() if v}


async def escalate_unanswered(plugins: Any, tenant: Tenant, tenant_id: str, now: datetime) -> int:
    due = (
        await scoped(WellbeingCheck, tenant_id)
        .select()
        .where(
            (WellbeingCheck.answer == "")
            & WellbeingCheck.incident.is_null()
            & (WellbeingCheck.due_at <= now)
        )
    )
    for check in due:
        await _to_incident(plugins, tenant, tenant_id, check, "unanswered_check", "high", now)
    return len(due)


async def _to_incident(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    check: dict[str, Any],
    kind: str,
    severity: str,
    now: datetime,
) -> str:
    booking = await booking_service.load(tenant_id, str(check["booking"]))
    raiser = sos.Raiser(
        str(check["user"]), PROVIDER, str(booking["provider"]) if booking["provider"] else None
    )
    incident_id = await sos.raise_sos(
        plugins,
        tenant,
        tenant_id,
        raiser,
        booking_id=str(check["booking"]),
        kind=kind,
        severity=severity,
        note=f"anomaly: {check['anomaly']}",
        now=now,
        client_key=f"check:{check['id']}",
    )
    async with write_transaction():
        await (
            scoped(WellbeingCheck, tenant_id)
            .update({WellbeingCheck.incident: incident_id})
            .where(WellbeingCheck.id == check["id"])
        )
    return incident_id


@within_tenant
async def answer_check(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    check_id: str,
    user_id: str,
    answer: str,
    *,
    now: datetime | None = None,
) -> str | None:
    """The person's answer: ``ok`` closes the question; ``help`` raises an SOS at once.
    Returns the incident id for "help". LookupError for someone else's question."""
    now = now or datetime.now(UTC)
    if answer not in {"ok", "help"}:
        raise service.IncidentError("answer", "answer ok or help", 400)
    check = await check_of(tenant_id, check_id, user_id)
    async with write_transaction():
        await (
            scoped(WellbeingCheck, tenant_id)
            .update({WellbeingCheck.answer: answer, WellbeingCheck.answered_at: now})
            .where((WellbeingCheck.id == check_id) & (WellbeingCheck.answer == ""))
        )
    if answer == "help":
        return await _to_incident(plugins, tenant, tenant_id, check, "sos", "critical", now)
    return None


async def check_of(tenant_id: str, check_id: str, user_id: str) -> dict[str, Any]:
    """One question put to ``user_id`` (answered or not); LookupError for anyone else's."""
    check = (
        await scoped(WellbeingCheck, tenant_id)
        .select()
        .where((WellbeingCheck.id == check_id) & (WellbeingCheck.user == user_id))
        .first()
    )
    if check is None:
        raise LookupError(check_id)
    return check


async def open_checks(
    tenant_id: str, user_id: str, booking_id: str | None = None
) -> list[dict[str, Any]]:
    """The person's unanswered questions (on one job, or any)."""
    query = (
        scoped(WellbeingCheck, tenant_id)
        .select(
            WellbeingCheck.id, WellbeingCheck.anomaly, WellbeingCheck.booking, WellbeingCheck.due_at
        )
        .where((WellbeingCheck.user == user_id) & (WellbeingCheck.answer == ""))
    )
    if booking_id is not None:
        query = query.where(WellbeingCheck.booking == booking_id)
    return list(await query)
