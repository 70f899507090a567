"""The change log's single-column indexes go: every read and every prune names the tenant and
a version, which ``matching_change_tenant_version`` answers, and each index cost every booking
an insert (a change row is written with each one)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-11-26T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "matching changes: no single-column indexes"


class RawTable(Table):
    pass


async def forwards():
    # The engine migrating now: a process may migrate more than one database (the tests do),
    # and a table class keeps the engine it was defined with.
    RawTable._meta.db = engine_finder()
    manager = MigrationManager(migration_id=ID, app_name="matching", description=DESCRIPTION)

    async def add():
        await RawTable.raw("DROP INDEX IF EXISTS matching_change_version")
        await RawTable.raw("DROP INDEX IF EXISTS matching_change_tenant")

    async def drop():
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS matching_change_version ON matching_change (version)"
        )
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS matching_change_tenant ON matching_change (tenant)"
        )

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
