"""Price-list versions: every change to a tenant's prices, with its effective time and author."""

from __future__ import annotations

import uuid

from piccolo.columns import UUID, BigInt, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.tenancy.tables import TenantRow


class PriceListVersion(Table, tablename="catalog_price_version"):
    """Version ``number`` of a tenant's price list (unique per tenant, from 1)."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    number = Integer()
    effective_at = Timestamptz()
    source = Varchar(length=16)
    """``config`` (the tenant YAML changed) or ``admin`` (edited in the console or CLI)."""
    actor = Varchar(length=120)
    reason = Text()
    created_at = Timestamptz(default=TimestamptzNow())


class TierPrice(Table, tablename="catalog_tier_price"):
    """A tier's list price as set by one version (only the tiers that version changed)."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    version = ForeignKey(references=PriceListVersion, null=False, index=True)
    tier_ref = Varchar(length=160)
    price_fen = BigInt()
    previous_fen = BigInt(null=True, default=None)
