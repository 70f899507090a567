import os

from piccolo.conf.apps import AppConfig

from core.safety.tables import (
    Alert,
    EmergencyContact,
    EmergencyDisclosure,
    EvidenceEntry,
    Incident,
    PositionFix,
    WellbeingCheck,
)

HERE = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="safety",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[
        PositionFix,
        EmergencyContact,
        Incident,
        EvidenceEntry,
        Alert,
        WellbeingCheck,
        EmergencyDisclosure,
    ],
    migration_dependencies=["core.booking.piccolo_app"],
    commands=[],
)
