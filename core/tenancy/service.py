"""Tenant rules that touch the database."""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

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
    forget_tenant_rows()
    if created:
        await TenantRow.insert(*[TenantRow(slug=slug) for slug in created]).on_conflict(
            target=TenantRow.slug, action="DO NOTHING"
        )
    return created


_row_ids: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()
"""Per database engine: tenant slug -> row id. A tenant's row, once made, is never deleted and
its slug never changes, so each process reads it once (not on every request)."""


async def tenant_row_id(slug: str) -> str | None:
    from core.tenancy.scoped import known_tenant_id

    if (known := known_tenant_id(slug)) is not None:
        return known  # inside a request of this tenant: its row is already known
    known_here = _row_ids.setdefault(TenantRow._meta.db, {})
    if (found := known_here.get(slug)) is not None:
        return found
    row = await rawsql.first(TenantRow, columns=["id"], slug=slug)
    if row is None:
        return None  # not remembered: the row may be made later
    known_here[slug] = found = str(row["id"])
    return found


def forget_tenant_rows() -> None:
    """Drop the remembered row ids (the tests empty the tables between tests; a new row is
    made by ``sync_tenant_rows``, which calls this)."""
    _row_ids.clear()
