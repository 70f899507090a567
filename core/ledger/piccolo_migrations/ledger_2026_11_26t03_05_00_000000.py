"""Exactly once, enforced by the database: one journal per event key, one reversal per journal,
one payout per provider and period, one settlement run per period, one lock row per key."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T03:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger unique keys"

INDEXES = {
    "ledger_journal_tenant_event_key": "ON ledger_journal (tenant, event_key) "
    "WHERE event_key IS NOT NULL",
    "ledger_journal_tenant_reverses": "ON ledger_journal (tenant, reverses) "
    "WHERE reverses IS NOT NULL",
    "ledger_lock_tenant_key": "ON ledger_lock (tenant, key)",
    "ledger_payout_tenant_provider_period": "ON ledger_payout (tenant, provider, period)",
    "ledger_settlement_run_tenant_period": "ON ledger_settlement_run (tenant, period)",
}


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)

    async def create():
        for name, definition in INDEXES.items():
            await RawTable.raw(f"CREATE UNIQUE INDEX IF NOT EXISTS {name} {definition}")

    async def drop():
        for name in INDEXES:
            await RawTable.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
