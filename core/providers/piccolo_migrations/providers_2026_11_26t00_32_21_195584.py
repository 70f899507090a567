from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Float
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-26T00:32:21:195584"
VERSION = "1.38.0"
DESCRIPTION = "quality score"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="providers", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="ProviderProfile",
        tablename="providers_profile",
        column_name="quality_score",
        db_column_name="quality_score",
        column_class_name="Float",
        column_class=Float,
        params={
            "default": 0.8,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
