"""Tenant rules that touch the database."""

from __future__ import annotations

from collections.abc import Iterable

from core import rawsql
from core.tenancy.model import Tenant
from core.tenancy.tables import TenantRow


async def sync_tenant_rows(tenants: Iterable[Tenant]) -> list[str]:
    """Create the row of every tenant that has none yet. Returns the slugs created.

    Rows are never deleted here: a tenant whose YAML is removed keeps its data.
    """
    wanted = [t.slug for t in tenants]
    existing = {row["slug"] for row in await TenantRow.select(TenantRow.slug)}
    created = [slug for slug in wanted if slug not in existing]
    if created:
        await TenantRow.insert(*[TenantRow(slug=slug) for slug in created]).on_conflict(
            target=TenantRow.slug, action="DO NOTHING"
        )
    return created


async def tenant_row_id(slug: str) -> str | None:
    from core.tenancy.scoped import known_tenant_id

    if (known := known_tenant_id(slug)) is not None:
        return known  # inside a request of this tenant: its row is already known
    row = await rawsql.first(TenantRow, columns=["id"], slug=slug)
    return str(row["id"]) if row else None
