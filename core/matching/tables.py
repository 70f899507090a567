"""The per-tenant matching version: bumped with every change that can make a provider a
candidate or stop being one, so each process's in-memory candidate index knows it is stale."""

from __future__ import annotations

import uuid

from piccolo.columns import UUID, BigInt, Boolean, ForeignKey
from piccolo.table import Table

from core.ids import new_id
from core.tenancy.tables import TenantRow


class MatchingVersion(Table, tablename="matching_version"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, unique=True)
    version = BigInt(default=0)
    profile_version = BigInt(default=0)
    """Counts the versions that changed a provider's profile, skills or checks (not their
    holds alone): what a request's sign-in reads (``core.tenancy.counters``)."""


class MatchingChange(Table, tablename="matching_change"):
    """Which providers a version changed (none named: every provider of the tenant), so an
    index one or a few versions behind reloads just those providers."""

    id = UUID(primary_key=True, default=new_id)
    tenant = ForeignKey(references=TenantRow, null=False)
    version = BigInt(default=0)
    """Indexed with the tenant: ``matching_change_tenant_version``."""
    provider = UUID(null=True, default=None)
    holds = Boolean(default=False)
    """Only the provider's holds changed (a booking made, moved or ended): the index keeps
    their profile and reloads their bookings of the days it holds in memory."""
