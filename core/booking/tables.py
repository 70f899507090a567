"""Bookings. A booking holds its provider's time from ``hold_start`` to ``hold_end`` (the job
plus the travel buffer on each side) while its status is one of HOLDING_STATES."""

from __future__ import annotations

import uuid

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
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
from core.ids import new_id
from core.privacy.service import register_sealed
from core.providers.tables import ProviderProfile
from core.tenancy.tables import TenantRow


class BookingSeries(Table, tablename="booking_series"):
    """An explicit opt-in series: the same provider weekly or fortnightly."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    customer = ForeignKey(references=User, null=False, index=True)
    provider = ForeignKey(references=ProviderProfile, null=True, default=None)
    cadence_days = SmallInt()
    """7 (weekly) or 14 (fortnightly)."""
    status = Varchar(length=16, default="active")
    skipped = JSON(default="[]")
    """Visits the provider could not make when the series was booked: ``[{"starts_at",
    "reason"}]``, shown to the customer (never silently dropped)."""
    created_at = Timestamptz(default=TimestamptzNow())


class Booking(Table, tablename="booking_booking"):
    """Indexes (migrations, raw SQL): ``(tenant, starts_at)``, ``(tenant, status)``,
    ``(customer, starts_at)``, ``(series, starts_at)`` where set, and the provider's holds
    (``booking_booking_provider_hold_cover``). Each costs every booking an insert."""

    id = UUID(primary_key=True, default=new_id)
    tenant = ForeignKey(references=TenantRow, null=False)
    customer = ForeignKey(references=User, null=False)
    provider = ForeignKey(references=ProviderProfile, null=True, default=None)
    """Indexed first in ``booking_booking_provider_hold_cover`` (with the hold)."""
    series = ForeignKey(references=BookingSeries, null=True, default=None)
    status = Varchar(length=16)
    vertical = Varchar(length=40)
    items = JSON(default="[]")
    """Each booked item: ``{"item", "tier", "intake", "addons", "quote"}`` (the quote with its
    lines and price-list version, so it can be reproduced)."""
    total_fen = BigInt()
    currency = Varchar(length=3, default="CNY")
    address_enc = Text()
    point_enc = Text()
    district = Varchar(length=60, default="")
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    window_end = Timestamptz(null=True, default=None)
    """For "between 14:00 and 16:00" requests: the latest start the customer accepts."""
    hold_start = Timestamptz()
    hold_end = Timestamptz()
    urgent = Boolean(default=False)
    offer_expires_at = Timestamptz(null=True, default=None)
    cascade_step = SmallInt(default=0)
    """Urgent requests: which of the tenant's widening radii the search has reached."""
    offered_to = JSON(default="[]")
    """Urgent requests: the providers already asked, in order (never asked twice)."""
    cancellation_fee_fen = BigInt(default=0)
    note = Text(default="")
    version = Integer(default=1)
    """Bumped by every transition: two concurrent transitions cannot both apply."""
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class BookingTransition(Table, tablename="booking_transition"):
    """The audit trail: every state change, who made it, when and why."""

    id = UUID(primary_key=True, default=new_id)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    booking = ForeignKey(references=Booking, null=False, index=True)
    from_state = Varchar(length=16)
    to_state = Varchar(length=16)
    actor = UUID(null=True, default=None)
    actor_role = Varchar(length=20)
    reason = Varchar(length=300, default="")
    at = Timestamptz(default=TimestamptzNow())


class Review(Table, tablename="booking_review"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    booking = ForeignKey(references=Booking, null=False, unique=True)
    provider = ForeignKey(references=ProviderProfile, null=False, index=True)
    customer = ForeignKey(references=User, null=False)
    rating = SmallInt()
    text = Text(default="")
    tags = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())


register_sealed(Booking, "address_enc", "booking.address")
register_sealed(Booking, "point_enc", "booking.point")
