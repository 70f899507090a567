"""One version number per tenant: two concurrent price changes can never both be version N."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-11-26T00:09:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique price-list version number per tenant"


class RawTable(Table):
    pass


async def forwards():
    # The engine migrating now: a process may migrate more than one database (the tests do),
    # and a table class keeps the engine it was defined with.
    RawTable._meta.db = engine_finder()
    manager = MigrationManager(migration_id=ID, app_name="catalog", description=DESCRIPTION)

    async def create_index():
        await RawTable.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS catalog_price_version_tenant_number "
            "ON catalog_price_version (tenant, number)"
        )

    async def drop_index():
        await RawTable.raw("DROP INDEX IF EXISTS catalog_price_version_tenant_number")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
