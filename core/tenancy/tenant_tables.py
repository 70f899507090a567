"""Which tables are tenant-owned (read from the Piccolo table registry), what a tenant id is
(``tenant_uuid``), and the error for tenant-owned data without a tenant scope."""

from __future__ import annotations

import uuid
from typing import Any

from piccolo.columns import ForeignKey
from piccolo.table import Table

from core.tenancy.tables import TenantRow


class TenantScopeError(RuntimeError):
    """A query or transaction on tenant-owned data without (or with the wrong) tenant scope."""


# --- which tables are tenant-owned ----------------------------------------------------------


def tenant_column(table: type[Table]) -> ForeignKey[Any] | None:
    """The table's ``tenant`` foreign key to ``doorstep_tenant``, if it has one."""
    for column in table._meta.foreign_key_columns:
        if column._meta.name == "tenant" and _references_tenant(column):
            return column
    return None


def _references_tenant(column: ForeignKey[Any]) -> bool:
    target = column._foreign_key_meta.resolved_references
    return target._meta.tablename == TenantRow._meta.tablename


def is_tenant_table(table: type[Table]) -> bool:
    return tenant_column(table) is not None


def shares_null_rows(table: type[Table]) -> bool:
    """A nullable ``tenant`` means "belongs to no tenant" (agency operators, install-wide
    security events): such rows are visible in every tenant's scope."""
    column = tenant_column(table)
    return column is not None and bool(column._meta.null)


def tenant_tables() -> list[type[Table]]:
    """Every registered table with a ``tenant`` foreign key: the one list the scoped helper,
    the row-level security policies and the contract tests all use. A new table with a
    ``tenant`` column is on it as soon as its Piccolo app is registered."""
    from core.db import all_tables

    return sorted((t for t in all_tables() if is_tenant_table(t)), key=lambda t: t._meta.tablename)


# --- tenant ids -----------------------------------------------------------------------------


def tenant_uuid(tenant_id: Any) -> uuid.UUID:
    """``tenant_id`` as a UUID; raises TenantScopeError for a missing or malformed one."""
    if tenant_id is None or tenant_id == "":
        raise TenantScopeError("no tenant scope: a tenant id is required for tenant-owned data")
    if isinstance(tenant_id, uuid.UUID):
        return tenant_id
    text = str(tenant_id)
    found = _parsed.get(text)
    if found is None:
        try:
            found = uuid.UUID(text)
        except ValueError:
            raise TenantScopeError("the tenant scope must be a tenant row id (a UUID)") from None
        if len(_parsed) < _PARSED_MAX:
            _parsed[text] = found
    return found


_parsed: dict[str, uuid.UUID] = {}
"""Tenant ids already parsed (a request scopes itself several times by the same id)."""
_PARSED_MAX = 10_000
