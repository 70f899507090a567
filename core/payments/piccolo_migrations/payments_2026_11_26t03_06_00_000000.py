"""Exactly once: a gateway message is taken once per tenant; order and refund numbers are
unique per tenant."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T03:06:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique notification key, order and refund numbers per tenant"

INDEXES = {
    "payments_notification_tenant_event_key": "payments_notification (tenant, event_key)",
    "payments_payment_tenant_out_trade_no": "payments_payment (tenant, out_trade_no)",
    "payments_refund_tenant_out_refund_no": "payments_refund (tenant, out_refund_no)",
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
