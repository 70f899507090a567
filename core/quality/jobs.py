"""The quality domain's scheduled work, run by the worker each pass; every job is idempotent.

* complaint clocks: a reminder before each deadline, an escalation after it (once each);
* penalty points for late check-ins and no-shows (once per booking);
* suspensions whose days are over end; retraining passed releases the item;
* weekly spot-check sampling; daily scores, badges, bonuses and the public snapshot;
* money remedies that waited for the ledger or payments are posted once they are there.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.booking.tables import BookingTransition
from core.db import write_transaction
from core.notifications.outbox import enqueue
from core.quality import ladder, outcomes, public, score, service, spotchecks
from core.quality.rules import OPEN_STATES
from core.quality.tables import Complaint
from core.quality.thread import add_message
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, within_tenant

EVENT_LOOKBACK = timedelta(days=14)


@within_tenant
async def complaint_clocks(tenant: Tenant, tenant_id: str, now: datetime) -> dict[str, int]:
    """Remind staff before a deadline and escalate after it, each once per deadline."""
    ahead = timedelta(minutes=tenant.config.policies.quality.reminder_before_minutes)
    counts = {"complaint_reminders": 0, "complaint_escalations": 0}
    async with write_transaction():
        rows = await Complaint.select().where(
            (Complaint.tenant == tenant_id) & Complaint.status.is_in(list(OPEN_STATES))
        )
        for row in rows:
            sent = [s for s in row["reminders"].split(",") if s]
            due = []
            if row["first_response_at"] is None:
                due.append(("response", row["first_response_due"]))
            due.append(("resolution", row["resolution_due"]))
            added = []
            for clock, deadline in due:
                if now > deadline and f"{clock}:escalate" not in sent:
                    added.append(f"{clock}:escalate")
                elif now > deadline - ahead and f"{clock}:remind" not in sent and now <= deadline:
                    added.append(f"{clock}:remind")
            for mark in added:
                clock, action = mark.split(":")
                key = "complaint_escalations" if action == "escalate" else "complaint_reminders"
                counts[key] += 1
                await enqueue(
                    tenant_id,
                    f"quality.complaint_{action}",
                    {"complaint_id": str(row["id"]), "clock": clock},
                    event_id=None,
                )
                await add_message(
                    tenant_id,
                    str(row["booking"]),
                    service.SYSTEM_ACTOR,
                    f"{clock} deadline {'missed: escalated' if action == 'escalate' else 'close'}",
                    kind="note",
                    complaint_id=str(row["id"]),
                    now=now,
                )
            if added:
                await (
                    scoped(Complaint, tenant_id)
                    .update({Complaint.reminders: ",".join([*sent, *added])})
                    .where(Complaint.id == row["id"])
                )
    return counts


@within_tenant
async def booking_events(tenant: Tenant, tenant_id: str, now: datetime) -> int:
    """Points for late check-ins (later than the tenant's minutes after the booked start, or
    the end of the customer's window) and for provider no-shows. Returns events recorded."""
    late_after = timedelta(minutes=tenant.config.policies.quality.points.late_after_minutes)
    recorded = 0
    touched: set[str] = set()
    async with write_transaction():
        rows = await BookingTransition.select(
            BookingTransition.booking,
            BookingTransition.from_state,
            BookingTransition.to_state,
            BookingTransition.at,
            BookingTransition.booking.provider.as_alias("provider"),
            BookingTransition.booking.starts_at.as_alias("starts_at"),
            BookingTransition.booking.window_end.as_alias("window_end"),
        ).where(
            (BookingTransition.tenant == tenant_id)
            & (BookingTransition.at >= now - EVENT_LOOKBACK)
            & BookingTransition.to_state.is_in(["arrived", "no_show"])
        )
        for row in rows:
            if row["provider"] is None:
                continue
            pid, bid = str(row["provider"]), str(row["booking"])
            if row["to_state"] == "arrived":
                latest = (row["window_end"] or row["starts_at"]) + late_after
                if row["at"] <= latest:
                    continue
                minutes = int(
                    (row["at"] - (row["window_end"] or row["starts_at"])).total_seconds() // 60
                )
                kind, detail = "lateness", f"{minutes} min late"
            elif row["from_state"] in {"accepted", "en_route"}:
                kind, detail = "no_show", "did not come"
            else:
                continue  # the customer was not there: nothing against the provider
            if await ladder.record_event(
                tenant,
                tenant_id,
                pid,
                kind,
                dedupe=f"{kind}:{bid}",
                now=row["at"],
                booking_id=bid,
                detail=detail,
            ):
                recorded += 1
                touched.add(pid)
        for pid in sorted(touched):
            await ladder.apply_ladder(tenant, tenant_id, pid, now)
            await score.refresh_provider(tenant, tenant_id, pid, now)
    return recorded


@within_tenant
async def settle_awaiting(tenant: Tenant, tenant_id: str, now: datetime) -> int:
    """Complaint money and bonuses recorded before the ledger or payments existed."""
    rows = await Complaint.select(Complaint.id).where(
        (Complaint.tenant == tenant_id)
        & Complaint.money_status.is_in(["pending", "awaiting_ledger", "awaiting_payments"])
    )
    done = 0
    for row in rows:
        if await outcomes.pay_remedies(tenant, tenant_id, str(row["id"]), now) == "done":
            done += 1
    return done + await score.post_awaiting_rewards(tenant, tenant_id)


async def run_quality_jobs(
    plugins: Any, tenant: Tenant, tenant_id: str, now: datetime
) -> dict[str, int]:
    """Every quality job once for the tenant. Returns the counts of the jobs that did
    something."""
    report = await complaint_clocks(tenant, tenant_id, now)
    report["penalty_events"] = await booking_events(tenant, tenant_id, now)
    report["suspensions_ended"] = await ladder.end_served_suspensions(tenant_id, now)
    report["retraining_released"] = await spotchecks.release_retrained(tenant_id, now)
    report["spot_checks_created"] = await spotchecks.sample_week(tenant, tenant_id, now)
    if await public.needs_snapshot(tenant, tenant_id, now):
        # Scores and badges are refreshed daily; the count is not reported (a daily chore).
        await score.rank_providers(tenant, tenant_id, now)
        report["quality_snapshots"] = await public.compute_snapshot(tenant, tenant_id, now)
    report["remedies_posted"] = await settle_awaiting(tenant, tenant_id, now)
    # Only what happened: a quiet pass adds nothing to the worker's report.
    return {key: count for key, count in report.items() if count}
