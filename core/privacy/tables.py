"""The audit log of every read of a clear personal value."""

from __future__ import annotations

import uuid

from piccolo.columns import UUID, ForeignKey, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tenancy.tables import TenantRow


class PersonalDataRead(Table, tablename="privacy_read_log"):
    """Who read which clear value of whom, when and why. Append-only."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor_id = UUID(null=True, default=None)
    actor_role = Varchar(length=32)
    subject_id = UUID(null=True, default=None, index=True)
    field = Varchar(length=64)
    """What was read, e.g. ``user.phone`` or ``address.text``."""
    purpose = Varchar(length=120)
    """Why, in the reader's words or the system's (``assigned provider, active booking``)."""
