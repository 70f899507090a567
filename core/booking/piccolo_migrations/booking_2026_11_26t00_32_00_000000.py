"""No double booking, ever: on PostgreSQL an exclusion constraint makes two overlapping holds
of one provider impossible whatever the application does. SQLite relies on the single
writer path (BEGIN IMMEDIATE, one writer per process) and the overlap check inside it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-11-26T00:32:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "no overlapping holds per provider"

HOLDING = "('offered', 'accepted', 'en_route', 'arrived', 'in_progress')"


class RawTable(Table):
    pass


async def forwards():
    # The engine migrating now: a process may migrate more than one database (the tests do),
    # and a table class keeps the engine it was defined with.
    RawTable._meta.db = engine_finder()
    manager = MigrationManager(migration_id=ID, app_name="booking", description=DESCRIPTION)

    async def add():
        if RawTable._meta.db.engine_type != "postgres":
            return
        await RawTable.raw("CREATE EXTENSION IF NOT EXISTS btree_gist")
        await RawTable.raw(
            "ALTER TABLE booking_booking ADD CONSTRAINT booking_no_overlapping_holds "
            "EXCLUDE USING gist (provider WITH =, tstzrange(hold_start, hold_end, '[)') WITH &&) "
            f"WHERE (provider IS NOT NULL AND status IN {HOLDING})"
        )

    async def drop():
        if RawTable._meta.db.engine_type != "postgres":
            return
        await RawTable.raw(
            "ALTER TABLE booking_booking DROP CONSTRAINT IF EXISTS booking_no_overlapping_holds"
        )

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
