"""Incident case files as pages and the API read them: one incident, who may see it, the
console's lists, the sealed snapshot and both parties (audited reads), the evidence count."""

from __future__ import annotations

import json
import uuid
from typing import Any

from core.booking.states import CUSTOMER, PROVIDER, STAFF
from core.privacy import service as privacy
from core.providers.tables import ProviderProfile
from core.safety.service import OPEN_STATES
from core.safety.sos import SNAPSHOT
from core.safety.tables import EvidenceEntry, Incident
from core.tenancy.scoped import scoped


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


def _summary() -> tuple[Any, ...]:
    """The columns a list of incidents shows."""
    return (
        Incident.id,
        Incident.kind,
        Incident.severity,
        Incident.status,
        Incident.raised_role,
        Incident.escalation_level,
        Incident.created_at,
    )


async def open_incidents(tenant_id: str, limit: int = 20) -> list[dict[str, Any]]:
    """Newest first, those still open (the console's banner and list)."""
    return list(
        await scoped(Incident, tenant_id)
        .select(*_summary(), Incident.booking)
        .where(Incident.status.is_in(list(OPEN_STATES)))
        .order_by(Incident.created_at, ascending=False)
        .limit(limit)
    )


async def recent_incidents(tenant_id: str, limit: int = 50) -> list[dict[str, Any]]:
    return list(
        await scoped(Incident, tenant_id)
        .select(*_summary(), Incident.resolved_at)
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
