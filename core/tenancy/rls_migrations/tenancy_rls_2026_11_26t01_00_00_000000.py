"""Forced row-level security on every tenant-owned table (PostgreSQL; nothing on SQLite).

The tables come from the Piccolo table registry when the migration runs, not from a list here;
``doorstep migrate`` re-checks them after every run, so later tables are covered too.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-26T01:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security on tenant tables"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenancy_rls", description=DESCRIPTION)

    async def enable():
        from core.tenancy.rls import ensure_row_security

        await ensure_row_security()

    manager.add_raw(enable)
    return manager
