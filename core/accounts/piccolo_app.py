import os

from piccolo.conf.apps import AppConfig

from core.accounts.tables import Address, ApiToken, OneTimeCode, SecurityEvent, Session, User

HERE = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[User, Session, ApiToken, OneTimeCode, Address, SecurityEvent],
    migration_dependencies=["core.tenancy.piccolo_app"],
    commands=[],
)
