"""Provider profiles. The name is personal data (encrypted); what the public sees is derived."""

from __future__ import annotations

import uuid

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.accounts.tables import User
from core.privacy.service import register_sealed
from core.tenancy.tables import TenantRow


class ProviderProfile(Table, tablename="providers_profile"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    user = ForeignKey(references=User, null=False, unique=True)
    name_enc = Text(null=True, default=None)
    gender = Varchar(length=8, default="")
    birth_year = Integer(null=True, default=None)
    years_experience = Integer(default=0)
    languages = Varchar(length=120, default="")
    """Comma-separated language codes (zh, en, yue...)."""
    bio = Text(default="")
    area_lat = Float(null=True, default=None)
    area_lng = Float(null=True, default=None)
    area_radius_km = Float(default=0.0)
    area_districts = Varchar(length=400, default="")
    working_hours = JSON(default="{}")
    """``{"mon": ["08:00", "18:00"], ...}`` in the tenant's time zone; missing day = off."""
    days_off = JSON(default="[]")
    """ISO dates the provider does not work."""
    status = Varchar(length=16, default="onboarding", index=True)
    """onboarding -> pending_review -> active; suspended or rejected on the way."""
    status_reason = Varchar(length=300, default="")
    quality_score = Float(default=0.8)
    """0..1, fed by spot checks and complaints (the quality domain); 0.8 until then."""
    rating_sum = BigInt(default=0)
    rating_count = Integer(default=0)
    jobs_done = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    activated_at = Timestamptz(null=True, default=None)


class ProviderSkill(Table, tablename="providers_skill"):
    """The catalogue items a provider does (``housekeeping.home_cleaning``)."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    provider = ForeignKey(references=ProviderProfile, null=False, index=True)
    item_ref = Varchar(length=120, index=True)
    suspended = Boolean(default=False)
    """Suspended from this item (a lapsed certificate), not from the platform."""
    suspended_reason = Varchar(length=200, default="")


class ProviderMedia(Table, tablename="providers_media"):
    """A photo or video, stored outside the web root and served through signed URLs."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    provider = ForeignKey(references=ProviderProfile, null=False, index=True)
    kind = Varchar(length=16)
    """``photo``, ``video``, ``avatar`` or ``certificate``."""
    storage_key = Varchar(length=200)
    content_type = Varchar(length=40)
    size_bytes = BigInt()
    width = Integer(null=True, default=None)
    height = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


# The encrypted name, so ``doorstep keys rotate`` re-encrypts it.
register_sealed(ProviderProfile, "name_enc", "provider.name")
