"""The ``tenancy_rls`` Piccolo app: row-level security on every tenant-owned table.

A separate app because Piccolo runs migrations app by app in dependency order: the tenancy app
runs first (every other app's tables point at ``doorstep_tenant``), so its own migrations cannot
see the others' tables. This app depends on every other core app and so runs last. Its
migration adds no table; it applies ``core.tenancy.rls.ensure_row_security`` (PostgreSQL only).
"""

import os

from piccolo.conf.apps import AppConfig

from core.db import APPS

HERE = os.path.dirname(os.path.abspath(__file__))
MODULE = "core.tenancy.rls_app"

APP_CONFIG = AppConfig(
    app_name="tenancy_rls",
    migrations_folder_path=os.path.join(HERE, "rls_migrations"),
    table_classes=[],
    migration_dependencies=[app for app in APPS if app != MODULE],
    commands=[],
)
