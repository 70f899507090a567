"""Working an incident: escalate on the tenant's clock until acknowledged, then
acknowledged -> in contact -> resolved (and notes), every step in the hash-chained evidence log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.db import write_transaction
from core.safety import alerts, evidence
from core.safety.tables import Alert, Incident
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, within_tenant

OPEN_STATES = frozenset({"open", "acknowledged", "in_contact"})
NEXT = {
    "acknowledged": frozenset({"open"}),
    "in_contact": frozenset({"open", "acknowledged"}),
    "resolved": frozenset({"open", "acknowledged", "in_contact"}),
}
"""Where each workflow step may come from."""


class IncidentError(Exception):
    """A workflow step the incident's state does not allow (409) or bad input (400)."""

    def __init__(self, field: str, reason: str, status_code: int = 409) -> None:
        self.field = field
        self.reason = reason
        self.status_code = status_code
        super().__init__(f"{field}: {reason}")


# --- escalation ---------------------------------------------------------------------------


@within_tenant
async def escalate_due(
    plugins: Any, tenant: Tenant, tenant_id: str, now: datetime
) -> dict[str, int]:
    """Every incident nobody acknowledged in time goes one level up (next on-call, then the
    agency), once per limit. Driven by the worker from the database alone."""
    limit = timedelta(minutes=tenant.config.policies.safety.escalation_minutes)
    due = (
        await scoped(Incident, tenant_id)
        .select(Incident.id, Incident.escalation_level)
        .where((Incident.status == "open") & (Incident.escalate_at <= now))
    )
    done = 0
    for row in due:
        level = int(row["escalation_level"]) + 1
        recipients = await alerts.level_recipients(tenant, tenant_id, level)
        async with write_transaction():
            moved = (
                await scoped(Incident, tenant_id)
                .update(
                    {
                        Incident.escalation_level: level,
                        Incident.escalate_at: None if recipients is None else now + limit,
                        Incident.updated_at: now,
                    }
                )
                .where(
                    (Incident.id == row["id"])
                    & (Incident.status == "open")
                    & (Incident.escalation_level == level - 1)
                )
                .returning(Incident.id)
            )
            if not moved:
                continue  # acknowledged or escalated meanwhile
            if recipients is None:
                await evidence.append(
                    tenant_id,
                    str(row["id"]),
                    "escalation_exhausted",
                    {"level": level - 1},
                    at=now,
                )
                continue
            await evidence.append(
                tenant_id,
                str(row["id"]),
                "escalated",
                {"level": level, "to": sorted({k for k, _ in recipients}) or ["nobody configured"]},
                at=now,
            )
            await alerts.queue_alerts(tenant_id, str(row["id"]), level, recipients, now)
            done += 1
    return {"safety_incidents_escalated": done} if done else {}


# --- the workflow -------------------------------------------------------------------------


@within_tenant
async def advance(
    tenant_id: str,
    incident_id: str,
    target: str,
    staff_id: str,
    *,
    note: str = "",
    now: datetime | None = None,
) -> None:
    """Acknowledge, record the contact made, or resolve (a note is required to resolve)."""
    now = now or datetime.now(UTC)
    if target not in NEXT:
        raise IncidentError("status", f"unknown step {target!r}", 400)
    note = note.strip()
    if target == "resolved" and not note:
        raise IncidentError("note", "say how it was resolved", 400)
    if len(note) > 4000:
        raise IncidentError("note", "at most 4000 characters", 400)
    async with write_transaction():
        row = (
            await scoped(Incident, tenant_id)
            .select(Incident.status)
            .where(Incident.id == incident_id)
            .first()
        )
        if row is None:
            raise LookupError(incident_id)
        if row["status"] not in NEXT[target]:
            raise IncidentError(
                "status", f"an incident that is {row['status']} cannot become {target}"
            )
        values: dict[Any, Any] = {
            Incident.status: target,
            Incident.updated_at: now,
            Incident.escalate_at: None,
        }
        if target == "acknowledged" or row["status"] == "open":
            values[Incident.acknowledged_at] = now
            values[Incident.acknowledged_by] = staff_id
        if target == "resolved":
            values[Incident.resolved_at] = now
        changed = (
            await scoped(Incident, tenant_id)
            .update(values)
            .where((Incident.id == incident_id) & (Incident.status == row["status"]))
            .returning(Incident.id)
        )
        if not changed:
            raise IncidentError("status", "the incident changed meanwhile; reload and try again")
        await evidence.append(
            tenant_id,
            incident_id,
            target,
            {"from": row["status"], "note": note},
            at=now,
            actor=staff_id,
        )
        # Nobody needs the pending alerts of lower levels once someone took it on.
        await (
            scoped(Alert, tenant_id)
            .update({Alert.status: "cancelled"})
            .where(
                (Alert.incident == incident_id)
                & (Alert.status == "pending")
                & (Alert.recipient_kind != "contact")
            )
        )


@within_tenant
async def add_note(
    tenant_id: str, incident_id: str, staff_id: str, note: str, *, now: datetime | None = None
) -> None:
    now = now or datetime.now(UTC)
    note = note.strip()
    if not note or len(note) > 4000:
        raise IncidentError("note", "write a note of at most 4000 characters", 400)
    async with write_transaction():
        if not await scoped(Incident, tenant_id).exists().where(Incident.id == incident_id):
            raise LookupError(incident_id)
        await evidence.append(
            tenant_id, incident_id, "note", {"note": note}, at=now, actor=staff_id
        )
