import os

from piccolo.conf.apps import AppConfig

from core.ledger.tables import LedgerEntry, LedgerJournal, LedgerLock, Payout, SettlementRun

HERE = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="ledger",
    migrations_folder_path=os.path.join(HERE, "piccolo_migrations"),
    table_classes=[LedgerJournal, LedgerEntry, LedgerLock, Payout, SettlementRun],
    migration_dependencies=["core.tenancy.piccolo_app"],
    commands=[],
)
