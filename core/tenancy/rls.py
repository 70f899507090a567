"""PostgreSQL row-level security: the second wall behind ``core.tenancy.scoped``.

Every tenant-owned table (``tenant_tables.tenant_tables()``: each registered table with a
``tenant`` foreign key) gets ``ENABLE`` and ``FORCE ROW LEVEL SECURITY`` and one policy: a row is
visible and writable only when its tenant is the transaction's ``doorstep.tenant_id``. Where a null
tenant means "no tenant" (agency operators), rows without a tenant are visible too. Tables in
``HOLDER_COLUMNS`` add a read-only policy for the holder of a row's secret (bearer tokens).

The policies are applied by the ``tenancy_rls`` migration (after every other app's tables exist)
and re-checked by every ``doorstep migrate`` (``core.db.migrate``), so a table added by a later
migration is covered at the next migrate without anyone listing it. Applying them is idempotent
and only touches tables whose security is missing or out of date. On SQLite nothing happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from core.tenancy.scoped import HOLDER_SETTING, SETTING
from core.tenancy.tenant_tables import shares_null_rows, tenant_tables

POLICY = "doorstep_tenant_v1"
"""The tenant policy's name; change the suffix when its expression changes, so migrate
replaces it."""
HOLDER_POLICY = "doorstep_holder_v1"
MANAGED_PREFIX = "doorstep_"
"""Policies whose name starts with this are ours: migrate drops those it no longer wants."""

HOLDER_COLUMNS = {"accounts_api_token": "token_hash"}
"""Tables whose rows may also be read (never written) by whoever holds the row's secret: the
hash of a presented bearer token shows its row whatever its tenant, so a token of another
tenant is recognised as such (and logged) instead of looking unknown. See
``core.tenancy.scoped.secret_lookup``."""


@dataclass(frozen=True)
class TablePolicy:
    table: str
    shared_null_rows: bool
    holder_column: str | None = None

    @property
    def expression(self) -> str:
        own = f"tenant = NULLIF(current_setting('{SETTING}', true), '')::uuid"
        return f"({own} OR tenant IS NULL)" if self.shared_null_rows else own

    def wanted(self) -> dict[str, str]:
        """Policy name -> its CREATE statement."""
        quoted = f'"{self.table}"'
        found = {
            POLICY: f'CREATE POLICY "{POLICY}" ON {quoted} AS PERMISSIVE FOR ALL '
            f"USING ({self.expression}) WITH CHECK ({self.expression})"
        }
        if self.holder_column:
            found[HOLDER_POLICY] = (
                f'CREATE POLICY "{HOLDER_POLICY}" ON {quoted} AS PERMISSIVE FOR SELECT '
                f'USING ("{self.holder_column}" = '
                f"NULLIF(current_setting('{HOLDER_SETTING}', true), ''))"
            )
        return found

    def up_to_date(self, rls: bool, forced: bool, existing: set[str]) -> bool:
        ours = {name for name in existing if name.startswith(MANAGED_PREFIX)}
        return rls and forced and ours == set(self.wanted())

    def statements(self, existing: set[str]) -> list[str]:
        quoted = f'"{self.table}"'
        wanted = self.wanted()
        drops = [
            f'DROP POLICY "{name}" ON {quoted}'
            for name in sorted(existing)
            if name.startswith(MANAGED_PREFIX) and name not in wanted
        ]
        creates = [sql for name, sql in wanted.items() if name not in existing]
        return [
            f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY",
            *drops,
            *creates,
        ]


def policies() -> list[TablePolicy]:
    """The policy of every tenant-owned table, from the Piccolo table registry."""
    return [
        TablePolicy(
            table._meta.tablename,
            shares_null_rows(table),
            HOLDER_COLUMNS.get(table._meta.tablename),
        )
        for table in tenant_tables()
    ]


async def _fetch(engine: PostgresEngine, sql: str) -> list[Any]:
    """Rows of a catalogue query, inside the current transaction if there is one (a migration
    sees the tables created before it in the same run)."""
    current = engine.current_transaction.get()
    if current is not None:
        return list(await current.connection.fetch(sql))
    return list(await engine._run_in_new_connection(sql))


async def ensure_row_security(engine: Any = None) -> list[str]:
    """Enable, force and install the tenant policy where missing. Returns the tables changed.

    Must run as the tables' owner (migrations). Does nothing on SQLite.
    """
    from core.tenancy.tables import TenantRow

    engine = engine or TenantRow._meta.db
    if not isinstance(engine, PostgresEngine):
        return []
    state = {
        row["relname"]: row
        for row in await _fetch(
            engine,
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')",
        )
    }
    found: dict[str, set[str]] = {}
    for row in await _fetch(
        engine, "SELECT tablename, policyname FROM pg_policies WHERE schemaname = current_schema()"
    ):
        found.setdefault(row["tablename"], set()).add(row["policyname"])
    changed = []
    statements = []
    for policy in policies():
        table = state.get(policy.table)
        if table is None:
            continue  # its app has not been migrated yet; the next migrate covers it
        have = found.get(policy.table, set())
        if not policy.up_to_date(table["relrowsecurity"], table["relforcerowsecurity"], have):
            changed.append(policy.table)
            statements += policy.statements(have)
    if statements:
        async with engine.transaction() as transaction:
            for statement in statements:
                await transaction.connection.execute(statement)
    return changed
