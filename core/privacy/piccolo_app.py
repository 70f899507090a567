import os

from piccolo.conf.apps import AppConfig

from core.privacy.tables import PersonalDataRead

HERE = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="privacy",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[PersonalDataRead],
    migration_dependencies=["core.tenancy.piccolo_app"],
    commands=[],
)
