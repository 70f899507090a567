from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import UUID, BigInt, ForeignKey
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class TenantRow(Table, tablename="doorstep_tenant", schema=None):
    id = UUID(
        default=UUID4(),
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


ID = "2026-11-26T06:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Which providers each matching version changed (incremental index updates)"


def _params(**overrides):
    return {
        "default": None,
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **overrides,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="matching", description=DESCRIPTION)
    manager.add_table(
        class_name="MatchingChange", tablename="matching_change", schema=None, columns=None
    )
    columns = (
        ("id", "UUID", UUID, _params(default=UUID4(), primary_key=True)),
        (
            "tenant",
            "ForeignKey",
            ForeignKey,
            _params(
                references=TenantRow,
                on_delete=OnDelete.cascade,
                on_update=OnUpdate.cascade,
                target_column=None,
                index=True,
            ),
        ),
        ("version", "BigInt", BigInt, _params(default=0, index=True)),
        ("provider", "UUID", UUID, _params(null=True)),
    )
    for name, class_name, column_class, params in columns:
        manager.add_column(
            table_class_name="MatchingChange",
            tablename="matching_change",
            column_name=name,
            db_column_name=name,
            column_class_name=class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
