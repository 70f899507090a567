"""One account per mobile number and per staff email within a tenant (and among operators)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-11-26T00:16:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique phone and email per tenant"

INDEXES = {
    "accounts_user_tenant_phone": "ON accounts_user (tenant, phone_idx) "
    "WHERE phone_idx IS NOT NULL AND tenant IS NOT NULL",
    "accounts_user_tenant_email": "ON accounts_user (tenant, email_idx) "
    "WHERE email_idx IS NOT NULL AND tenant IS NOT NULL",
    "accounts_user_operator_email": "ON accounts_user (email_idx) "
    "WHERE email_idx IS NOT NULL AND tenant IS NULL",
}


class RawTable(Table):
    pass


async def forwards():
    # The engine migrating now: a process may migrate more than one database (the tests do),
    # and a table class keeps the engine it was defined with.
    RawTable._meta.db = engine_finder()
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def create():
        for name, definition in INDEXES.items():
            await RawTable.raw(f"CREATE UNIQUE INDEX IF NOT EXISTS {name} {definition}")

    async def drop():
        for name in INDEXES:
            await RawTable.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
