"""PostgreSQL row-level security: the second wall behind ``core.tenancy.scoped``.

Every tenant-owned table (``scoped.tenant_tables()``: each registered table with a ``tenant``
foreign key) gets ``ENABLE`` and ``FORCE ROW LEVEL SECURITY`` and one policy: a row is visible
and writable only when its tenant is the transaction's ``doorstep.tenant_id``. Where a null
tenant means "no tenant" (agency operators), rows without a tenant are visible too.

The policies are applied by the ``tenancy_rls`` migration (after every other app's tables exist)
and re-checked by every ``doorstep migrate`` (``core.db.migrate``), so a table added by a later
migration is covered at the next migrate without anyone listing it. Applying them is idempotent
and only touches tables whose security is missing or out of date. On SQLite nothing happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from core.tenancy.scoped import SETTING, shares_null_rows, tenant_tables

POLICY = "doorstep_tenant_v1"
"""The policy's name; change the suffix when its expression changes, so migrate replaces it."""
POLICY_PREFIX = "doorstep_tenant"


@dataclass(frozen=True)
class TablePolicy:
    table: str
    shared_null_rows: bool

    @property
    def expression(self) -> str:
        own = f"tenant = NULLIF(current_setting('{SETTING}', true), '')::uuid"
        return f"({own} OR tenant IS NULL)" if self.shared_null_rows else own

    def statements(self, existing_policies: set[str]) -> list[str]:
        quoted = f'"{self.table}"'
        drops = [
            f'DROP POLICY "{name}" ON {quoted}'
            for name in sorted(existing_policies)
            if name.startswith(POLICY_PREFIX) and name != POLICY
        ]
        create = (
            []
            if POLICY in existing_policies
            else [
                f'CREATE POLICY "{POLICY}" ON {quoted} AS PERMISSIVE FOR ALL '
                f"USING ({self.expression}) WITH CHECK ({self.expression})"
            ]
        )
        return [
            f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY",
            *drops,
            *create,
        ]


def policies() -> list[TablePolicy]:
    """The policy of every tenant-owned table, from the Piccolo table registry."""
    return [
        TablePolicy(table._meta.tablename, shares_null_rows(table)) for table in tenant_tables()
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
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
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
        up_to_date = (
            table["relrowsecurity"]
            and table["relforcerowsecurity"]
            and POLICY in have
            and not any(n.startswith(POLICY_PREFIX) and n != POLICY for n in have)
        )
        if not up_to_date:
            changed.append(policy.table)
            statements += policy.statements(have)
    if statements:
        async with engine.transaction() as transaction:
            for statement in statements:
                await transaction.connection.execute(statement)
    return changed
