"""The providers' counter: ``matching_version.profile_version`` counts the versions that
changed a provider's profile, skills or checks (not their holds alone). A request's sign-in
reads it with the token (``core.tenancy.counters``), so the booking path needs no read of the
version to know its candidate index's profiles are current."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-27T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "matching version: the providers' profile counter"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="matching", description=DESCRIPTION)
    manager.add_column(
        table_class_name="MatchingVersion",
        tablename="matching_version",
        column_name="profile_version",
        db_column_name="profile_version",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": 0,
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
