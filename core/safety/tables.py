"""Safety tables. Positions, contacts and evidence are personal data: stored sealed
(``*_enc``, see ``core.privacy``), read by people only through audited reveals."""

from __future__ import annotations

import uuid

from piccolo.columns import (
    UUID,
    Boolean,
    ForeignKey,
    Integer,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.accounts.tables import User
from core.booking.tables import Booking
from core.privacy.service import register_sealed
from core.providers.tables import ProviderProfile
from core.tenancy.tables import TenantRow


class PositionFix(Table, tablename="safety_position"):
    """One position the provider's phone reported during a job (en route or on site)."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    booking = ForeignKey(references=Booking, null=False, index=True)
    provider = ForeignKey(references=ProviderProfile, null=False, index=True)
    taken_at = Timestamptz(index=True)
    """When the phone took it (checked against the server's clock)."""
    received_at = Timestamptz(default=TimestamptzNow())
    point_enc = Text()
    """``lat,lng`` (WGS-84), sealed."""
    accuracy_m = Integer(default=0)
    held = Boolean(default=False, index=True)
    """Held by an incident or a dispute: never purged while held."""


class EmergencyContact(Table, tablename="safety_contact"):
    """Someone to tell when a customer or a provider presses SOS."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    user = ForeignKey(references=User, null=False, index=True)
    name_enc = Text()
    phone_enc = Text()
    relation = Varchar(length=40, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Incident(Table, tablename="safety_incident"):
    """An SOS, or an "are you OK?" nobody answered. Escalation state lives here, so a restart
    mid-escalation loses nothing: the worker carries on from ``escalate_at``."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    booking = ForeignKey(references=Booking, null=True, default=None, index=True)
    kind = Varchar(length=20)
    """``sos`` or ``unanswered_check``."""
    severity = Varchar(length=12)
    """``critical`` (SOS) or ``high``."""
    status = Varchar(length=16, index=True)
    """``open`` -> ``acknowledged`` -> ``in_contact`` -> ``resolved``."""
    raised_by = UUID(null=True, default=None)
    raised_role = Varchar(length=16, default="")
    customer = UUID(null=True, default=None)
    provider = UUID(null=True, default=None)
    """The provider's profile id."""
    snapshot_enc = Text(null=True, default=None)
    """Sealed JSON: last known positions of both parties and the trail at the time."""
    client_key = Varchar(length=64, null=True, default=None, unique=True)
    """A hash of the tenant and the key the phone sent: a retried SOS is the same incident."""
    escalation_level = SmallInt(default=0)
    escalate_at = Timestamptz(null=True, default=None, index=True)
    acknowledged_at = Timestamptz(null=True, default=None)
    acknowledged_by = UUID(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    evidence_head = Varchar(length=64, default="")
    """The hash of the newest evidence entry (the chain's anchor)."""
    evidence_count = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class EvidenceEntry(Table, tablename="safety_evidence"):
    """The incident's tamper-evident log: each entry's hash covers the one before it."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    incident = ForeignKey(references=Incident, null=False, index=True)
    seq = Integer()
    at = Timestamptz()
    kind = Varchar(length=30)
    actor = UUID(null=True, default=None)
    body_enc = Text()
    """Sealed JSON (notes may hold personal data)."""
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)


class Alert(Table, tablename="safety_alert"):
    """One alert to one recipient: pending until a channel took it (retried by the worker)."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    incident = ForeignKey(references=Incident, null=False, index=True)
    level = SmallInt(default=0)
    recipient_kind = Varchar(length=16)
    """``staff`` (a user id), ``contact`` (an emergency contact id) or ``agency``."""
    recipient = Varchar(length=200)
    """The user or contact id, or the agency's desk as configured."""
    status = Varchar(length=12, default="pending", index=True)
    attempts = Integer(default=0)
    next_try_at = Timestamptz(default=TimestamptzNow(), index=True)
    channel = Varchar(length=30, default="")
    sent_at = Timestamptz(null=True, default=None)
    last_error = Varchar(length=300, default="")


class WellbeingCheck(Table, tablename="safety_check"):
    """An "are you OK?" put to the person concerned after an anomaly."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    booking = ForeignKey(references=Booking, null=False, index=True)
    user = UUID()
    anomaly = Varchar(length=20)
    """``no_progress``, ``long_stop``, ``left_site`` or ``overstay``."""
    asked_at = Timestamptz()
    due_at = Timestamptz(index=True)
    answer = Varchar(length=8, default="")
    """``ok`` or ``help``; empty while unanswered."""
    answered_at = Timestamptz(null=True, default=None)
    incident = UUID(null=True, default=None)
    """The incident opened when nobody answered (or "help")."""


class EmergencyDisclosure(Table, tablename="safety_disclosure"):
    """Personal data shared in an emergency without consent (PIPL art. 13(1)(4)): to whom,
    what, why."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    incident = ForeignKey(references=Incident, null=False, index=True)
    at = Timestamptz(default=TimestamptzNow())
    recipient = Varchar(length=120)
    """Masked: ``emergency contact 138****1234``, ``police``, ``safety officer``."""
    categories = Varchar(length=200)
    basis = Varchar(length=200)
    actor = UUID(null=True, default=None)


register_sealed(PositionFix, "point_enc", "safety.point")
register_sealed(EmergencyContact, "name_enc", "safety.contact_name")
register_sealed(EmergencyContact, "phone_enc", "safety.contact_phone")
register_sealed(Incident, "snapshot_enc", "safety.snapshot")
register_sealed(EvidenceEntry, "body_enc", "safety.evidence")
