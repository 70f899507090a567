"""The customers' invoice details (the next migration adds the unique indexes: Piccolo runs
a migration's raw SQL before its new tables)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import UUID, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-01T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "invoice details"

class Payment(Table, tablename="payments_payment", schema=None):
    id = UUID(default=UUID4(), null=False, primary_key=True)


class TenantRow(Table, tablename="doorstep_tenant", schema=None):
    id = UUID(default=UUID4(), null=False, primary_key=True)


def _params(**changes):
    params = {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    params.update(changes)
    return params


COLUMNS = [
    ("id", UUID, _params(default=UUID4(), primary_key=True)),
    (
        "tenant",
        ForeignKey,
        _params(
            references=TenantRow,
            on_delete=OnDelete.cascade,
            on_update=OnUpdate.cascade,
            target_column=None,
            index=True,
        ),
    ),
    (
        "payment",
        ForeignKey,
        _params(
            references=Payment,
            on_delete=OnDelete.cascade,
            on_update=OnUpdate.cascade,
            target_column=None,
            index=True,
        ),
    ),
    ("kind", Varchar, _params(length=12, default="personal")),
    ("title_enc", Text, _params(default="")),
    ("tax_id", Varchar, _params(length=20, default="")),
    ("created_at", Timestamptz, _params(default=TimestamptzNow())),
    ("updated_at", Timestamptz, _params(default=TimestamptzNow())),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="payments", description=DESCRIPTION)
    manager.add_table(
        class_name="Invoice", tablename="payments_invoice", schema=None, columns=None
    )
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="Invoice",
            tablename="payments_invoice",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )

    return manager
