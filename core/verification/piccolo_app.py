import os

from piccolo.conf.apps import AppConfig

from core.verification.tables import (
    Certificate,
    IdentityCheck,
    IdentityRecord,
    PoliceFiling,
    TrainingResult,
)

HERE = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="verification",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[Certificate, IdentityCheck, IdentityRecord, PoliceFiling, TrainingResult],
    migration_dependencies=["core.providers.piccolo_app"],
    commands=[],
)
