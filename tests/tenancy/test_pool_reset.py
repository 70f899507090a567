"""A PostgreSQL connection goes back to the pool without asyncpg's reset query (``RESET ALL``
and the rest: a round trip per request): the app keeps no session state, so the next request
on that connection starts with no tenant setting and no transaction, as on a new connection."""

from __future__ import annotations

from typing import Any

import pytest

from core.db_pool import close_pools, start_pools
from core.tenancy.scoped import SETTING, tenant_transaction
from core.tenancy.service import sync_tenant_rows, tenant_row_id

pytestmark = pytest.mark.db


async def test_the_next_user_of_a_pooled_connection_inherits_no_tenant(
    db: None, tenants: Any, engine_name: str
) -> None:
    if engine_name != "postgres":
        pytest.skip("SQLite has no session settings")
    from core.tenancy.tables import TenantRow

    await sync_tenant_rows(tenants)
    tenant_id = await tenant_row_id("jiejia")
    engine = TenantRow._meta.db
    await start_pools(engine, 1)  # one connection: the next request gets the same one
    try:
        async with tenant_transaction(tenant_id):
            pass  # a request of the tenant (its transaction set the tenant, then ended)
        async with engine.pool.acquire() as connection:
            setting = await connection.fetchval("SELECT current_setting($1, true)", SETTING)
            in_transaction = connection.is_in_transaction()
        assert setting in (None, "")
        assert not in_transaction
    finally:
        await close_pools(engine)
