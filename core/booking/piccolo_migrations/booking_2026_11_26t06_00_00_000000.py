"""A provider's bookings by the end of their hold: "does anything of this provider's overlap
this time" and "this provider's bookings around that day" (matching, the write path) read the
few bookings still to end, not the provider's whole history (the single-column provider index
scans every booking the provider ever had)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-11-26T06:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "bookings by provider and hold end"


class RawTable(Table):
    pass


async def forwards():
    # The engine migrating now: a process may migrate more than one database (the tests do),
    # and a table class keeps the engine it was defined with.
    RawTable._meta.db = engine_finder()
    manager = MigrationManager(migration_id=ID, app_name="booking", description=DESCRIPTION)

    async def add():
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS booking_booking_provider_hold_end "
            "ON booking_booking (provider, hold_end)"
        )

    async def drop():
        await RawTable.raw("DROP INDEX IF EXISTS booking_booking_provider_hold_end")

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
