"""The outbox is read one way only: a tenant's events not yet processed whose time has come,
oldest first (``OutboxRelay.claim``). One partial index answers it, ``(tenant, available_at)``
over the unprocessed events alone, so it stays as small as the backlog while processed events
pile up. The five single-column indexes it replaces (tenant, kind, created_at, available_at,
processed_at) each cost every event an insert, and every booking writes an event."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-11-26T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox: one partial index of the events due"

SINGLE = ("tenant", "kind", "created_at", "available_at", "processed_at")


class RawTable(Table):
    pass


async def forwards():
    # The engine migrating now: a process may migrate more than one database (the tests do),
    # and a table class keeps the engine it was defined with.
    RawTable._meta.db = engine_finder()
    manager = MigrationManager(
        migration_id=ID, app_name="notifications", description=DESCRIPTION
    )

    async def add():
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS notifications_outbox_due "
            "ON notifications_outbox (tenant, available_at) WHERE processed_at IS NULL"
        )
        for column in SINGLE:
            await RawTable.raw(f"DROP INDEX IF EXISTS notifications_outbox_{column}")

    async def drop():
        for column in SINGLE:
            await RawTable.raw(
                f"CREATE INDEX IF NOT EXISTS notifications_outbox_{column} "
                f"ON notifications_outbox ({column})"
            )
        await RawTable.raw("DROP INDEX IF EXISTS notifications_outbox_due")

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
