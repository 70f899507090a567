"""Day plans. A plan is stored whole (routes, unassigned jobs, totals) and its stops one row
per booking, so a booking's latest arrival estimate is one indexed lookup."""

from __future__ import annotations

import uuid

from piccolo.columns import JSON, UUID, ForeignKey, Integer, SmallInt, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.booking.tables import Booking
from core.providers.tables import ProviderProfile
from core.tenancy.tables import TenantRow


class DispatchPlan(Table, tablename="dispatch_plan"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    day = Varchar(length=10, index=True)
    """ISO date in the tenant's time zone."""
    area = Varchar(length=60, default="")
    """A district, or empty for the whole city."""
    status = Varchar(length=16, default="current")
    """``current`` or ``superseded`` (a newer plan of the same day and area exists)."""
    solver = Varchar(length=40, default="")
    origin = Timestamptz()
    """Second 0 of the plan's clock (the day's midnight, tenant time)."""
    routes = JSON(default="[]")
    unassigned = JSON(default="[]")
    totals = JSON(default="{}")
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())


class DispatchStop(Table, tablename="dispatch_stop"):
    """One booking in a plan: who comes, in which order, and the arrival promised."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    plan = ForeignKey(references=DispatchPlan, null=False, index=True)
    booking = ForeignKey(references=Booking, null=False, index=True)
    provider = ForeignKey(references=ProviderProfile, null=False, index=True)
    seq = SmallInt()
    arrival_at = Timestamptz()
    window_start = Timestamptz()
    window_end = Timestamptz()
