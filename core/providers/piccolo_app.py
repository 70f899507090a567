import os

from piccolo.conf.apps import AppConfig

from core.providers.tables import ProviderMedia, ProviderProfile, ProviderSkill

HERE = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="providers",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[ProviderProfile, ProviderSkill, ProviderMedia],
    migration_dependencies=["core.tenancy.piccolo_app", "core.accounts.piccolo_app"],
    commands=[],
)
