"""Raising an SOS: who pressed it, the job it is about, the snapshot of positions sealed with
it, and the incident opened (or added to) and alerted at once, never refused."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.booking import service as booking_service
from core.booking.states import CUSTOMER, PROVIDER
from core.booking.tables import Booking
from core.db import write_transaction
from core.privacy import service as privacy
from core.safety import alerts, evidence, trail
from core.safety.service import OPEN_STATES
from core.safety.tables import Incident
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, within_tenant

SNAPSHOT = "safety.snapshot"
REPEAT_WINDOW = timedelta(minutes=15)
"""Pressing SOS again within this, on the same job, adds to the open incident."""


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
