"""Reading every tenant's rows from a test, as an auditor.

On PostgreSQL the app (and so the test process) connects as the application role, which row-level
security limits to the tenant of the open ``tenant_transaction``: outside one it sees no tenant
rows at all. A test that checks what is stored across tenants ("nothing changed", "one user in
total") reads inside ``all_tenants()``, which runs the block's queries on a superuser connection.
Never use it around the code under test: that must run as the application role, so a forgotten
tenant scope fails the PostgreSQL run. On SQLite it does nothing.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

SUPERUSER_URL = "DOORSTEP_TEST_SUPERUSER_URL"
"""Set by ``tests/conftest.py`` for a ``--engine=postgres`` run."""


@asynccontextmanager
async def all_tenants() -> AsyncIterator[None]:
    import asyncpg

    from core.tenancy.tables import TenantRow

    engine = TenantRow._meta.db
    if not isinstance(engine, PostgresEngine):
        yield
        return
    if engine.current_transaction.get() is not None:
        raise RuntimeError("all_tenants() inside a transaction: read after the code under test")
    transaction = PostgresTransaction(engine)
    transaction.connection = await asyncpg.connect(os.environ[SUPERUSER_URL])
    transaction.transaction = transaction.connection.transaction(readonly=True)
    await transaction.transaction.start()
    transaction.context = engine.current_transaction.set(transaction)
    try:
        yield
    finally:
        engine.current_transaction.reset(transaction.context)
        await transaction.transaction.rollback()
        await transaction.connection.close()
