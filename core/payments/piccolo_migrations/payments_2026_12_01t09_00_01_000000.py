"""One active payment per booking: at most one ``pending`` or ``captured`` payment of a
booking (a partial unique index, on both engines), so paying twice by two methods at once is
refused rather than credited twice; one invoice per payment."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-01T09:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "one active payment per booking; one invoice per payment"

INDEXES = {
    "payments_payment_one_active": (
        "payments_payment (tenant, booking) WHERE status IN ('pending', 'captured')"
    ),
    "payments_invoice_tenant_payment": "payments_invoice (tenant, payment)",
}


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="payments", description=DESCRIPTION)

    async def create_indexes():
        for name, definition in INDEXES.items():
            await RawTable.raw(f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON {definition}")

    async def drop_indexes():
        for name in INDEXES:
            await RawTable.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
