import os

from piccolo.conf.apps import AppConfig

from core.tenancy.tables import TenantRow

HERE = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="tenancy",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[TenantRow],
    migration_dependencies=[],
    commands=[],
)
