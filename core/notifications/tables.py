"""The transactional outbox and the record of what was delivered to whom."""

from __future__ import annotations

import uuid

from piccolo.columns import JSON, UUID, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.ids import new_id
from core.tenancy.tables import TenantRow


class OutboxEvent(Table, tablename="notifications_outbox"):
    """Written in the same transaction as the business change; relayed at least once.
    Indexed by ``notifications_outbox_due`` alone: (tenant, available_at) of the events not
    yet processed (migration ``notifications 2026-11-26T13:00``)."""

    id = UUID(primary_key=True, default=new_id)
    """The event id consumers dedupe on."""
    tenant = ForeignKey(references=TenantRow, null=False)
    kind = Varchar(length=60)
    """``booking.transition``, ``booking.reminder``, ``provider.certificate_expiring``..."""
    payload = JSON(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())
    available_at = Timestamptz(default=TimestamptzNow())
    """Not relayed before this time (scheduled reminders, retries with back-off)."""
    processed_at = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    last_error = Text(default="")


class Delivery(Table, tablename="notifications_delivery"):
    """One message sent to one recipient on one channel for one event: the dedupe record."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    event_id = UUID(index=True)
    recipient = UUID(index=True)
    """The user the message is for (never their address: that is looked up at send time)."""
    template = Varchar(length=60)
    channel = Varchar(length=30)
    sent_at = Timestamptz(default=TimestamptzNow())
