"""Tenant rows: the anchor every tenant-owned row points to."""

from __future__ import annotations

import uuid

from piccolo.columns import UUID, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class TenantRow(Table, tablename="doorstep_tenant"):
    """One row per tenant YAML ever served; created by ``doorstep migrate``."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    slug = Varchar(length=40, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
