import os

from piccolo.conf.apps import AppConfig

from core.matching.tables import MatchingChange, MatchingVersion

HERE = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="matching",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[MatchingVersion, MatchingChange],
    migration_dependencies=["core.tenancy.piccolo_app"],
    commands=[],
)
