import os

from piccolo.conf.apps import AppConfig

from core.payments.tables import Invoice, Payment, PaymentNotification, Refund

HERE = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="payments",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[Payment, PaymentNotification, Refund, Invoice],
    migration_dependencies=["core.booking.piccolo_app", "core.accounts.piccolo_app"],
    commands=[],
)
