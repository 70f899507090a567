"""Service quality: complaints with their thread and evidence, penalty events and the steps of
the ladder they lead to, spot checks, rewards, and the daily public snapshot.

Free text written by people (complaints, messages) is encrypted like other personal data: it
often holds names, phone numbers and addresses."""

from __future__ import annotations

import uuid

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Boolean,
    Date,
    Float,
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


class Complaint(Table, tablename="quality_complaint"):
    """One complaint per booking (a second is refused; the customer reopens the first)."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    booking = ForeignKey(references=Booking, null=False, unique=True)
    customer = ForeignKey(references=User, null=False, index=True)
    provider = ForeignKey(references=ProviderProfile, null=True, default=None, index=True)
    vertical = Varchar(length=40)
    category = Varchar(length=16)
    """quality, lateness, damage, rudeness, overcharge, safety."""
    channel = Varchar(length=12)
    """``booking_page``, ``chat`` or ``hotline`` (logged by support)."""
    description_enc = Text()
    status = Varchar(length=16, default="open", index=True)
    """open (awaiting a first response) -> investigating -> resolved (the customer decides)
    -> closed; reopened goes back to investigating."""
    first_response_due = Timestamptz()
    resolution_due = Timestamptz(index=True)
    first_response_at = Timestamptz(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    reminders = Varchar(length=80, default="")
    """Reminders and escalations already sent (``response:remind,response:escalate``...)."""
    upheld = Boolean(null=True, default=None)
    outcomes = Varchar(length=80, default="")
    """Comma-separated: explanation, reservice, refund, compensation, penalty."""
    reply_enc = Text(null=True, default=None)
    """The explanation sent to the customer."""
    reservice_booking = ForeignKey(references=Booking, null=True, default=None)
    refund_fen = BigInt(default=0)
    compensation_fen = BigInt(default=0)
    """From the provider's deposit (through the ledger)."""
    money_status = Varchar(length=24, default="")
    """``done``, or ``awaiting_ledger`` / ``awaiting_payments`` while that service is absent."""
    reopened = SmallInt(default=0)
    logged_by = UUID(null=True, default=None)
    """The support agent who logged a hotline complaint."""
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class BookingMessage(Table, tablename="quality_message"):
    """The booking's thread (the dispute record): chat between customer, provider and support,
    the provider's statement, staff notes (never shown to the customer or provider), replies
    and what the system did. Authors are shown by role, never by name."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    booking = ForeignKey(references=Booking, null=False, index=True)
    complaint = ForeignKey(references=Complaint, null=True, default=None, index=True)
    author = UUID(null=True, default=None)
    author_role = Varchar(length=12)
    """customer, provider, staff, system."""
    kind = Varchar(length=12, default="chat")
    """chat, statement, note (staff only), reply, event."""
    body_enc = Text()
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class ComplaintEvidence(Table, tablename="quality_evidence"):
    """A photo attached to a complaint, stored outside the web root (re-encoded, no EXIF)."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    complaint = ForeignKey(references=Complaint, null=False, index=True)
    added_by_role = Varchar(length=12)
    storage_key = Varchar(length=200)
    content_type = Varchar(length=40)
    size_bytes = BigInt()
    created_at = Timestamptz(default=TimestamptzNow())


class PenaltyEvent(Table, tablename="quality_penalty_event"):
    """Points against a provider, with what happened. ``dedupe`` makes recording idempotent."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    provider = ForeignKey(references=ProviderProfile, null=False, index=True)
    kind = Varchar(length=24)
    """lateness, no_show, upheld_complaint, rudeness, failed_spot_check."""
    points = Integer()
    booking = ForeignKey(references=Booking, null=True, default=None)
    complaint = ForeignKey(references=Complaint, null=True, default=None)
    detail = Varchar(length=200, default="")
    dedupe = Varchar(length=120, unique=True)
    voided = Boolean(default=False)
    """An appeal overturned the step this event led to."""
    at = Timestamptz(index=True)


class Sanction(Table, tablename="quality_sanction"):
    """A step of the ladder: warning, suspension (for N days) or removal, with the events
    behind it and the provider's appeal."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    provider = ForeignKey(references=ProviderProfile, null=False, index=True)
    level = Varchar(length=12)
    points = Integer()
    events = JSON(default="[]")
    """Ids of the penalty events that added up to this step."""
    status = Varchar(length=12, default="active", index=True)
    """active, served (a suspension's days are over), overturned (appeal upheld)."""
    starts_at = Timestamptz()
    ends_at = Timestamptz(null=True, default=None)
    appeal_until = Timestamptz()
    appeal_enc = Text(null=True, default=None)
    appealed_at = Timestamptz(null=True, default=None)
    appeal_decision = Varchar(length=12, default="")
    """"" (none), pending, upheld, rejected."""
    appeal_reason = Varchar(length=300, default="")
    reviewed_by = UUID(null=True, default=None)
    reviewed_at = Timestamptz(null=True, default=None)


class ProviderQuality(Table, tablename="quality_provider_score"):
    """A provider's quality score and how it is made up (recomputed by the worker)."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    provider = ForeignKey(references=ProviderProfile, null=False, unique=True)
    score = Float(default=0.8)
    points = Integer(default=0)
    excellent = Boolean(default=False)
    breakdown = JSON(default="{}")
    updated_at = Timestamptz(default=TimestamptzNow())


class Reward(Table, tablename="quality_reward"):
    """A bonus for an excellent month, posted through the ledger once."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    provider = ForeignKey(references=ProviderProfile, null=False, index=True)
    period = Varchar(length=8)
    """``2026-03``."""
    amount_fen = BigInt()
    status = Varchar(length=16, default="awaiting_ledger")
    dedupe = Varchar(length=80, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


class SpotCheck(Table, tablename="quality_spot_check"):
    """A sampled completed booking: a call-back questionnaire or an on-site inspection."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    booking = ForeignKey(references=Booking, null=False, unique=True)
    provider = ForeignKey(references=ProviderProfile, null=False, index=True)
    vertical = Varchar(length=40)
    item_ref = Varchar(length=120)
    kind = Varchar(length=12)
    """callback or inspection."""
    week = Varchar(length=8)
    """ISO week sampled, ``2026-W10``."""
    status = Varchar(length=8, default="open", index=True)
    answers = JSON(default="{}")
    score = SmallInt(null=True, default=None)
    """0..100."""
    completed_by = UUID(null=True, default=None)
    completed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Retraining(Table, tablename="quality_retraining"):
    """A course to pass again before the provider is offered the item again."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    provider = ForeignKey(references=ProviderProfile, null=False, index=True)
    item_ref = Varchar(length=120)
    course = Varchar(length=80)
    spot_check = ForeignKey(references=SpotCheck, null=True, default=None)
    assigned_at = Timestamptz()
    released_at = Timestamptz(null=True, default=None)


class QualitySnapshot(Table, tablename="quality_snapshot"):
    """The public figures of one day, per vertical or per provider."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    day = Date(index=True)
    scope = Varchar(length=12)
    """vertical or provider."""
    key = Varchar(length=60)
    sample = Integer()
    figures = JSON(default="{}")
    dedupe = Varchar(length=120, unique=True)
    computed_at = Timestamptz(default=TimestamptzNow())


register_sealed(Complaint, "description_enc", "complaint.description")
register_sealed(Complaint, "reply_enc", "complaint.reply")
register_sealed(BookingMessage, "body_enc", "message.body")
register_sealed(Sanction, "appeal_enc", "sanction.appeal")
