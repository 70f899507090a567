import os

from piccolo.conf.apps import AppConfig

from core.dispatch.tables import DispatchPlan, DispatchStop

HERE = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="dispatch",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[DispatchPlan, DispatchStop],
    migration_dependencies=["core.booking.piccolo_app", "core.providers.piccolo_app"],
    commands=[],
)
