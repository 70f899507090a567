import os

from piccolo.conf.apps import AppConfig

from core.catalog.tables import PriceListVersion, TierPrice

HERE = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="catalog",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[PriceListVersion, TierPrice],
    migration_dependencies=["core.tenancy.piccolo_app"],
    commands=[],
)
