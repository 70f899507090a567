"""SOS and incidents: raise (never refused for the state of a job, a role or a rate limit),
alert at once, escalate on the tenant's clock until acknowledged, then work the incident
acknowledged -> in contact -> resolved, every step in the hash-chained evidence log."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.booking import service as booking_service
from core.booking.states import CUSTOMER, PROVIDER, STAFF
from core.booking.tables import Booking
from core.db import write_transaction
from core.privacy import service as privacy
from core.providers.tables import ProviderProfile
from core.safety import alerts, evidence, trail
from core.safety.tables import Alert, EvidenceEntry, Incident
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, within_tenant

SNAPSHOT = "safety.snapshot"
OPEN_STATES = frozenset({"open", "acknowledged", "in_contact"})
NEXT = {
    "acknowledged": frozenset({"open"}),
    "in_contact": frozenset({"open", "acknowledged"}),
    "resolved": frozenset({"open", "acknowledged", "in_contact"}),
}
"""Where each workflow step may come from."""
REPEAT_WINDOW = timedelta(minutes=15)
"""Pressing SOS again within this, on the same job, adds to the open incident."""


class IncidentError(Exception):
    """A workflow step the incident's state does not allow (409) or bad input (400)."""

    def __init__(self, field: str, reason: str, status_code: int = 409) -> None:
        self.field = field
        self.reason = reason
        self.status_code = status_code
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True)
class Raiser:
    """Who pressed SOS: a customer or a provider (``provider_id`` set) of this tenant."""

    user_id: str
    role: str
    provider_id: str | None = None


def _client_key(tenant_id: str, key: str) -> str | None:
    key = key.strip()[:100]
    return hashlib.sha256(f"{tenant_id}|{key}".encode()).hexdigest() if key else None


async def _job_for(tenant_id: str, raiser: Raiser, booking_id: str | None) -> dict[str, Any] | None:
    """The job the SOS is about: the one named if the raiser is part of it (whatever its
    state: a stale page still counts), else the provider's or customer's job going on now."""
    if booking_id:
        try:
            uuid.UUID(str(booking_id))
            booking = await booking_service.load(tenant_id, str(booking_id))
        except (ValueError, LookupError):
            booking = None
        if booking is not None and _party(booking, raiser):
            return booking
    column = Booking.provider if raiser.role == PROVIDER else Booking.customer
    who = raiser.provider_id if raiser.role == PROVIDER else raiser.user_id
    if not who:
        return None
    return (
        await scoped(Booking, tenant_id)
        .select()
        .where((column == who) & Booking.status.is_in(list(trail.TRAIL_STATES)))
        .order_by(Booking.updated_at, ascending=False)
        .first()
    )


def _party(booking: dict[str, Any], raiser: Raiser) -> bool:
    if raiser.role == PROVIDER:
        return booking["provider"] is not None and str(booking["provider"]) == raiser.provider_id
    return str(booking["customer"]) == raiser.user_id


async def _snapshot(
    tenant_id: str,
    booking: dict[str, Any] | None,
    position: tuple[float, float] | None,
    raiser: Raiser,
    now: datetime,
) -> dict[str, Any]:
    fixes = await trail.system_trail(tenant_id, str(booking["id"]), limit=200) if booking else []
    snap: dict[str, Any] = {
        "taken_at": now.isoformat(),
        "raiser_position": (
            {"lat": position[0], "lng": position[1], "role": raiser.role} if position else None
        ),
        "provider_last": (
            {"lat": fixes[-1].lat, "lng": fixes[-1].lng, "at": fixes[-1].at.isoformat()}
            if fixes
            else None
        ),
        "trail": [{"lat": f.lat, "lng": f.lng, "at": f.at.isoformat()} for f in fixes],
    }
    if booking is not None:
        lat, lng = privacy.unseal(
            booking["point_enc"], field="booking.point", tenant_id=tenant_id
        ).split(",")
        snap["address_point"] = {"lat": float(lat), "lng": float(lng)}
        snap["booking_status"] = booking["status"]
    return snap


def _valid_position(position: tuple[float, float] | None) -> tuple[float, float] | None:
    if position is None:
        return None
    lat, lng = position
    return (lat, lng) if -90 <= lat <= 90 and -180 <= lng <= 180 else None


@within_tenant
async def raise_sos(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    raiser: Raiser,
    *,
    booking_id: str | None = None,
    position: tuple[float, float] | None = None,
    client_key: str = "",
    kind: str = "sos",
    severity: str = "critical",
    note: str = "",
    now: datetime | None = None,
    send_now: bool = True,
) -> str:
    """Open an incident (or add to the raiser's open one on the same job) and alert at once.

    Accepted whatever the job's state and whoever the raiser is: a bad position is dropped, an
    unknown job is left out, never a refusal. The incident, its evidence and its alerts are
    written in one transaction before any message is tried; a channel that is down leaves the
    alert pending for the worker. Returns the incident id."""
    now = now or datetime.now(UTC)
    position = _valid_position(position)
    key = _client_key(tenant_id, client_key)
    if key is not None:
        same = (
            await scoped(Incident, tenant_id)
            .select(Incident.id)
            .where(Incident.client_key == key)
            .first()
        )
        if same is not None:
            return str(same["id"])  # a retried request: the same SOS
    booking = await _job_for(tenant_id, raiser, booking_id)
    repeat = await _open_incident_of(tenant_id, raiser, booking, now)
    if repeat is not None:
        async with write_transaction():
            await evidence.append(
                tenant_id,
                repeat,
                "pressed_again",
                {"role": raiser.role, "position": list(position) if position else None},
                at=now,
                actor=raiser.user_id,
            )
        return repeat
    snap = await _snapshot(tenant_id, booking, position, raiser, now)
    incident_id = str(uuid.uuid4())
    limit = timedelta(minutes=tenant.config.policies.safety.escalation_minutes)
    level0 = await alerts.level_recipients(tenant, tenant_id, 0) or []
    customer = (
        str(booking["customer"])
        if booking
        else (raiser.user_id if raiser.role == CUSTOMER else None)
    )
    provider = str(booking["provider"]) if booking and booking["provider"] else raiser.provider_id
    contacts = await alerts.contacts_of(tenant_id, raiser.user_id)
    async with write_transaction():
        await scoped(Incident, tenant_id).insert(
            Incident(
                id=incident_id,
                tenant=tenant_id,
                booking=booking["id"] if booking else None,
                kind=kind,
                severity=severity,
                status="open",
                raised_by=raiser.user_id,
                raised_role=raiser.role,
                customer=customer,
                provider=provider,
                snapshot_enc=privacy.seal(json.dumps(snap), field=SNAPSHOT, tenant_id=tenant_id),
                client_key=key,
                escalation_level=0,
                escalate_at=now + limit,
                created_at=now,
                updated_at=now,
            )
        )
        await evidence.append(
            tenant_id,
            incident_id,
            "raised",
            {
                "kind": kind,
                "severity": severity,
                "role": raiser.role,
                "booking": str(booking["id"]) if booking else None,
                "booking_status": booking["status"] if booking else None,
                "position": list(position) if position else None,
                "provider_last": snap["provider_last"],
                "trail_points": len(snap["trail"]),
                "note": note[:500],
            },
            at=now,
            actor=raiser.user_id,
        )
        if booking is not None:
            await trail.hold_trail(tenant_id, str(booking["id"]))
        await alerts.queue_alerts(tenant_id, incident_id, 0, level0, now)
        await alerts.queue_alerts(
            tenant_id, incident_id, 0, [("contact", c) for c in contacts], now
        )
    if send_now:
        await alerts.deliver_alerts(plugins, tenant, tenant_id, now, incident_id=incident_id)
    return incident_id


async def _open_incident_of(
    tenant_id: str, raiser: Raiser, booking: dict[str, Any] | None, now: datetime
) -> str | None:
    query = (
        scoped(Incident, tenant_id)
        .select(Incident.id)
        .where(
            (Incident.raised_by == raiser.user_id)
            & Incident.status.is_in(list(OPEN_STATES))
            & (Incident.created_at >= now - REPEAT_WINDOW)
        )
    )
    query = query.where(
        Incident.booking == booking["id"] if booking else Incident.booking.is_null()
    )
    found = await query.order_by(Incident.created_at, ascending=False).first()
    return str(found["id"]) if found else None


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


# --- reading ------------------------------------------------------------------------------


async def load(tenant_id: str, incident_id: str) -> dict[str, Any]:
    try:
        uuid.UUID(str(incident_id))
    except ValueError:
        raise LookupError(incident_id) from None
    row = await scoped(Incident, tenant_id).select().where(Incident.id == incident_id).first()
    if row is None:
        raise LookupError(incident_id)
    return row


def visible_to_raiser(incident: dict[str, Any], user_id: str) -> bool:
    return incident["raised_by"] is not None and str(incident["raised_by"]) == user_id


async def open_incidents(tenant_id: str, limit: int = 20) -> list[dict[str, Any]]:
    """Newest first, those still open (the console's banner and list)."""
    return list(
        await scoped(Incident, tenant_id)
        .select(
            Incident.id,
            Incident.kind,
            Incident.severity,
            Incident.status,
            Incident.raised_role,
            Incident.escalation_level,
            Incident.created_at,
            Incident.booking,
        )
        .where(Incident.status.is_in(list(OPEN_STATES)))
        .order_by(Incident.created_at, ascending=False)
        .limit(limit)
    )


async def recent_incidents(tenant_id: str, limit: int = 50) -> list[dict[str, Any]]:
    return list(
        await scoped(Incident, tenant_id)
        .select(
            Incident.id,
            Incident.kind,
            Incident.severity,
            Incident.status,
            Incident.raised_role,
            Incident.escalation_level,
            Incident.created_at,
            Incident.resolved_at,
        )
        .order_by(Incident.created_at, ascending=False)
        .limit(limit)
    )


async def snapshot_for(
    tenant_id: str, incident: dict[str, Any], reader: privacy.Reader
) -> dict[str, Any]:
    """The positions at the time of the incident, for a staff member (an audited read under
    the emergency basis)."""
    if not incident["snapshot_enc"]:
        return {}
    clear = await privacy.reveal(
        incident["snapshot_enc"],
        field=SNAPSHOT,
        tenant_id=tenant_id,
        subject_id=incident["raised_by"],
        reader=reader,
    )
    found = json.loads(clear)
    return found if isinstance(found, dict) else {}


async def parties(
    tenant_id: str, incident: dict[str, Any], reader: privacy.Reader
) -> dict[str, Any]:
    """Both parties' names and phone numbers, clear for the safety officer (audited)."""
    from core.accounts.tables import User

    found: dict[str, Any] = {}
    provider_user = None
    if incident["provider"]:
        row = (
            await scoped(ProviderProfile, tenant_id)
            .select(ProviderProfile.user)
            .where(ProviderProfile.id == incident["provider"])
            .first()
        )
        provider_user = row["user"] if row else None
    for role, user_id in ((CUSTOMER, incident["customer"]), (PROVIDER, provider_user)):
        if not user_id:
            continue
        user = (
            await scoped(User, tenant_id)
            .select(User.name_enc, User.phone_enc)
            .where(User.id == user_id)
            .first()
        )
        if user is None:
            continue
        person = {"id": str(user_id), "name": "", "phone": ""}
        for key, column, field in (
            ("name", "name_enc", "user.name"),
            ("phone", "phone_enc", "user.phone"),
        ):
            if user[column]:
                person[key] = await privacy.reveal(
                    user[column],
                    field=field,
                    tenant_id=tenant_id,
                    subject_id=user_id,
                    reader=reader,
                )
        found[role] = person
    return found


async def evidence_count(tenant_id: str, incident_id: str) -> int:
    return int(
        await scoped(EvidenceEntry, tenant_id).count().where(EvidenceEntry.incident == incident_id)
    )


STAFF_READER_PURPOSE = "safety incident: emergency (PIPL art. 13(1)(4))"


def staff_reader(staff_id: str) -> privacy.Reader:
    return privacy.Reader(staff_id, STAFF, STAFF_READER_PURPOSE)
