import os

from piccolo.conf.apps import AppConfig

from core.booking.tables import Booking, BookingSeries, BookingTransition, Review

HERE = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="booking",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[BookingSeries, Booking, BookingTransition, Review],
    migration_dependencies=["core.providers.piccolo_app", "core.accounts.piccolo_app"],
    commands=[],
)
