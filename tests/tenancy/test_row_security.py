"""PostgreSQL row-level security, the second wall: forced on every tenant table, keyed on the
transaction's tenant setting, and the application role can neither own nor bypass it.

The registry checks run everywhere; the rest needs ``pytest -m db --engine=postgres``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from core.db import all_tables, migrate
from core.tenancy.rls import HOLDER_POLICY, POLICY, ensure_row_security, policies
from core.tenancy.scoped import SETTING
from core.tenancy.service import sync_tenant_rows, tenant_row_id
from core.tenancy.tenant_tables import is_tenant_table, tenant_column, tenant_tables
from tests.pg_cluster import ThrowawayCluster

# --- every engine: the list of tenant tables is complete ------------------------------------


def test_every_table_with_a_tenant_column_is_a_tenant_table() -> None:
    """A ``tenant`` column that is not a foreign key to doorstep_tenant would slip past the
    scoped helper and the policies; so would a table pointing at tenant rows without one."""
    for table in all_tables():
        name = table._meta.tablename
        if any(c._meta.name == "tenant" for c in table._meta.columns):
            assert is_tenant_table(table), f"{name}.tenant must be a ForeignKey to TenantRow"
        for fk in table._meta.foreign_key_columns:
            target = fk._foreign_key_meta.resolved_references
            if is_tenant_table(target) and fk is not tenant_column(table):
                assert is_tenant_table(table), (
                    f"{name} points at tenant-owned {target._meta.tablename} ({fk._meta.name}) "
                    "but has no tenant column of its own: add "
                    "tenant = ForeignKey(references=TenantRow, index=True)"
                )


def test_every_tenant_table_gets_a_policy_generated_from_the_registry() -> None:
    generated = {p.table for p in policies()}

    assert generated == {t._meta.tablename for t in tenant_tables()}
    user = next(p for p in policies() if p.table == "accounts_user")
    version = next(p for p in policies() if p.table == "catalog_price_version")
    assert "OR tenant IS NULL" in user.expression  # agency operators have no tenant
    assert "OR tenant IS NULL" not in version.expression
    assert SETTING in version.expression


# --- PostgreSQL ------------------------------------------------------------------------------

pg = pytest.mark.db


async def connect(dsn: str) -> asyncpg.Connection:
    return await asyncpg.connect(dsn)


@pytest.fixture
async def as_superuser(pg_cluster: ThrowawayCluster) -> AsyncIterator[asyncpg.Connection]:
    connection = await connect(pg_cluster.superuser_dsn)
    yield connection
    await connection.close()


@pytest.fixture
async def as_app(pg_cluster: ThrowawayCluster) -> AsyncIterator[asyncpg.Connection]:
    """A raw connection as the application role, the one the app uses."""
    connection = await connect(pg_cluster.dsn)
    yield connection
    await connection.close()


@pytest.fixture
async def people(db, tenants, settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Staff of jiejia (A) and wanjia (B), each with an address-less customer, and an agency
    operator; returns the tenant ids and user ids."""
    from core.accounts import passwords
    from core.privacy import service as privacy

    privacy.configure(settings)
    await sync_tenant_rows(tenants)
    a, b = await tenant_row_id("jiejia"), await tenant_row_id("wanjia")
    assert a and b
    return {
        "a": a,
        "b": b,
        "a_staff": await passwords.create_staff(a, "anna@jiejia.test", "long enough pw", ["admin"]),
        "b_staff": await passwords.create_staff(b, "bo@wanjia.test", "long enough pw", ["admin"]),
        "operator": await passwords.create_staff(
            a, "olga@agency.test", "long enough pw", [], kind="operator"
        ),
    }


@pg
async def test_every_tenant_table_has_forced_row_security_and_only_our_policies(
    migrated, as_superuser: asyncpg.Connection
) -> None:
    state = {
        r["relname"]: (r["relrowsecurity"], r["relforcerowsecurity"])
        for r in await as_superuser.fetch(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
        )
    }
    found: dict[str, set[str]] = {}
    for r in await as_superuser.fetch("SELECT tablename, policyname FROM pg_policies"):
        found.setdefault(r["tablename"], set()).add(r["policyname"])

    for policy in policies():
        assert state[policy.table] == (True, True), f"{policy.table}: row security not forced"
        expected = {POLICY, HOLDER_POLICY} if policy.holder_column else {POLICY}
        assert found.get(policy.table) == expected, policy.table
    assert state["doorstep_tenant"] == (False, False)


@pg
async def test_the_application_role_owns_nothing_and_cannot_bypass_row_security(
    migrated, as_superuser: asyncpg.Connection, as_app: asyncpg.Connection
) -> None:
    role = await as_superuser.fetchrow(
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles "
        "WHERE rolname = current_user"
    )
    app = await as_app.fetchrow(
        "SELECT current_user AS name, rolsuper, rolbypassrls FROM pg_roles "
        "WHERE rolname = current_user"
    )
    owned = await as_superuser.fetchval(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = $1",
        app["name"],
    )
    table = tenant_tables()[0]._meta.tablename
    privileges = {
        kind: await as_app.fetchval("SELECT has_table_privilege($1, $2)", table, kind)
        for kind in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
    }

    assert role["rolsuper"]  # the test's own auditor connection, not the app
    assert (app["rolsuper"], app["rolbypassrls"], owned) == (False, False, 0)
    assert privileges == {
        "SELECT": True,
        "INSERT": True,
        "UPDATE": True,
        "DELETE": True,
        "TRUNCATE": False,
        "REFERENCES": False,
        "TRIGGER": False,
    }
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_app.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_app.execute("SET row_security = off; SELECT count(*) FROM accounts_user")


@pg
async def test_raw_sql_as_the_application_role_sees_only_the_tenant_set_for_the_transaction(
    people: dict[str, str], as_app: asyncpg.Connection
) -> None:
    a, b = people["a"], people["b"]

    async with as_app.transaction():
        await as_app.execute("SELECT set_config($1, $2, true)", SETTING, a)
        seen_a = await as_app.fetch("SELECT id, tenant FROM accounts_user")
        tokens_a = await as_app.fetchval("SELECT count(*) FROM accounts_security_event")
        # B's row cannot be written, read, changed or removed from A's transaction
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            async with as_app.transaction():  # a savepoint
                await as_app.execute(
                    "INSERT INTO accounts_user (id, tenant, kind, roles, locale, consent_version, "
                    "created_at) VALUES (gen_random_uuid(), $1, 'customer', '', '', '', now())",
                    b,
                )
        updated = await as_app.execute(
            "UPDATE accounts_user SET roles = 'admin' WHERE tenant = $1", b
        )
        deleted = await as_app.execute("DELETE FROM accounts_user WHERE id = $1", people["b_staff"])
        moved = await as_app.execute(
            "UPDATE accounts_user SET tenant = $1 WHERE id = $2", a, people["b_staff"]
        )
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
            async with as_app.transaction():
                await as_app.execute(
                    "UPDATE accounts_user SET tenant = $1 WHERE id = $2", b, people["a_staff"]
                )
    # the setting ended with the transaction: the same connection now sees no tenant's rows
    seen_none = await as_app.fetch("SELECT id, tenant FROM accounts_user")

    assert {(str(r["id"]), str(r["tenant"]) if r["tenant"] else None) for r in seen_a} == {
        (people["a_staff"], a),
        (people["operator"], None),  # operators belong to no tenant
    }
    assert tokens_a == 0
    assert (updated, deleted, moved) == ("UPDATE 0", "DELETE 0", "UPDATE 0")
    assert [str(r["id"]) for r in seen_none] == [people["operator"]]
    assert await as_app.fetchval("SELECT current_setting($1, true)", SETTING) == ""


@pg
async def test_without_the_setting_no_tenant_row_is_visible_or_writable(
    people: dict[str, str], as_app: asyncpg.Connection
) -> None:
    counts = {
        t._meta.tablename: await as_app.fetchval(
            f'SELECT count(*) FROM "{t._meta.tablename}" WHERE tenant IS NOT NULL'
        )
        for t in tenant_tables()
    }

    assert set(counts.values()) == {0}, counts
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        await as_app.execute(
            "INSERT INTO accounts_security_event (id, tenant, at, kind, detail, client_idx) "
            "VALUES (gen_random_uuid(), $1, now(), 'x', '', '')",
            people["a"],
        )


@pg
async def test_a_dropped_policy_is_restored_by_the_next_migrate(
    migrated, settings, pg_cluster: ThrowawayCluster
) -> None:
    owner = await connect(pg_cluster.owner_dsn)
    try:
        await owner.execute(f'DROP POLICY "{POLICY}" ON accounts_address')
        await owner.execute("ALTER TABLE catalog_tier_price NO FORCE ROW LEVEL SECURITY")
        await owner.execute(
            "CREATE POLICY doorstep_tenant_v0 ON accounts_otp USING (true)"
        )  # an outdated policy of ours
    finally:
        await owner.close()

    await migrate(settings)

    owner = await connect(pg_cluster.owner_dsn)
    try:
        from piccolo.engine.postgres import PostgresEngine

        again = await ensure_row_security(PostgresEngine(config={"dsn": pg_cluster.owner_dsn}))
        rows = await owner.fetch(
            "SELECT tablename, policyname FROM pg_policies "
            "WHERE tablename IN ('accounts_address', 'accounts_otp')"
        )
        forced = await owner.fetchval(
            "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'catalog_tier_price'"
        )
    finally:
        await owner.close()
    assert sorted((r["tablename"], r["policyname"]) for r in rows) == [
        ("accounts_address", POLICY),
        ("accounts_otp", POLICY),
    ]
    assert forced is True
    assert again == [], "applying again changes nothing"
