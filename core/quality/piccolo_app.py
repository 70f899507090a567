import os

from piccolo.conf.apps import AppConfig

from core.quality.tables import (
    BookingMessage,
    Complaint,
    ComplaintEvidence,
    PenaltyEvent,
    ProviderQuality,
    QualitySnapshot,
    Retraining,
    Reward,
    Sanction,
    SpotCheck,
)

HERE = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="quality",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[
        Complaint,
        BookingMessage,
        ComplaintEvidence,
        PenaltyEvent,
        Sanction,
        ProviderQuality,
        Reward,
        SpotCheck,
        Retraining,
        QualitySnapshot,
    ],
    migration_dependencies=["core.booking.piccolo_app"],
    commands=[],
)
