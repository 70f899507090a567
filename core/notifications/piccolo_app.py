import os

from piccolo.conf.apps import AppConfig

from core.notifications.tables import Delivery, OutboxEvent

HERE = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="notifications",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[OutboxEvent, Delivery],
    migration_dependencies=["core.tenancy.piccolo_app"],
    commands=[],
)
