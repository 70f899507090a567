"""Tenant rows in the database: created by migrate, never duplicated."""

import pytest

from core.tenancy.service import sync_tenant_rows, tenant_row_id
from core.tenancy.tables import TenantRow

pytestmark = pytest.mark.db


async def test_migrate_registers_each_tenant_once(db, tenants):
    first = await sync_tenant_rows(tenants)
    second = await sync_tenant_rows(tenants)

    assert sorted(first) == ["jiejia", "wanjia"]
    assert second == []
    assert await TenantRow.count() == 2


async def test_tenant_ids_are_random_uuids_not_sequence_numbers(db, tenants):
    await sync_tenant_rows(tenants)
    ids = {await tenant_row_id("jiejia"), await tenant_row_id("wanjia")}

    assert all(len(i) == 36 and i.count("-") == 4 for i in ids)
    assert await tenant_row_id("nobody") is None


async def test_health_reports_the_database_reachable(db, client):
    response = client.get("/health", headers={"host": "unknown.example"})

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_the_run_uses_the_engine_it_was_asked_for(db, engine_name):
    from piccolo.engine.postgres import PostgresEngine
    from piccolo.engine.sqlite import SQLiteEngine

    expected = PostgresEngine if engine_name == "postgres" else SQLiteEngine
    assert isinstance(TenantRow._meta.db, expected)


async def test_a_tenants_row_id_is_read_once_per_process(db, tenants):
    """Every request needs its tenant's row id: it is remembered, since a tenant's row is never
    deleted and its slug never changes. Seen here by deleting the row behind its back."""
    await sync_tenant_rows(tenants)
    first = await tenant_row_id("jiejia")
    await TenantRow.delete().where(TenantRow.slug == "jiejia")

    assert await tenant_row_id("jiejia") == first


async def test_a_tenant_without_a_row_yet_is_found_once_it_has_one(db, tenants):
    assert await tenant_row_id("jiejia") is None  # not remembered as missing

    await sync_tenant_rows(tenants)

    found = await tenant_row_id("jiejia")
    assert found is not None
    assert found == str(
        (await TenantRow.select(TenantRow.id).where(TenantRow.slug == "jiejia"))[0]["id"]
    )
