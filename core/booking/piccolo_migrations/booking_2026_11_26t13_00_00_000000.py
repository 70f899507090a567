"""The provider-only index on bookings goes: ``booking_booking_provider_hold_cover`` starts
with the provider, so it answers every query by provider, and each index costs every booking
an insert."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-11-26T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "bookings: no provider-only index"


class RawTable(Table):
    pass


async def forwards():
    # The engine migrating now: a process may migrate more than one database (the tests do),
    # and a table class keeps the engine it was defined with.
    RawTable._meta.db = engine_finder()
    manager = MigrationManager(migration_id=ID, app_name="booking", description=DESCRIPTION)

    async def add():
        await RawTable.raw("DROP INDEX IF EXISTS booking_booking_provider")

    async def drop():
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS booking_booking_provider ON booking_booking (provider)"
        )

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
