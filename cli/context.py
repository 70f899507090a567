"""What commands load: settings, plugins and tenants, with user errors turned into exit 2."""

from __future__ import annotations

import asyncio

from cli.errors import err, fail
from core import boot
from core.plugins import DoorstepPluginManager, PluginError, build_plugin_manager
from core.settings import Settings, get_settings
from core.tenancy.loader import TenantConfigError
from core.tenancy.registry import TenantRegistry


def load_plugins() -> DoorstepPluginManager:
    try:
        return build_plugin_manager()
    except PluginError as exc:
        raise fail(f"plugins: {exc}") from exc


def load_tenants(settings: Settings, plugins: DoorstepPluginManager) -> TenantRegistry:
    try:
        return boot.load_tenants(settings, plugins)
    except TenantConfigError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False)
        raise fail(f"{len(exc.problems)} problem(s) in tenant files; nothing was started") from exc


def require_migrated(settings: Settings) -> None:
    """Use the configured database; exit 2 if it is unusable or not migrated yet."""
    from piccolo.apps.migrations.commands.check import CheckMigrationManager

    from core.db import engine_for, use_engine

    async def pending() -> int:
        return await CheckMigrationManager(app_name="all").havent_ran_count()

    try:
        use_engine(engine_for(settings))
        count = asyncio.run(pending())
    except ValueError as exc:  # a DATABASE_URL that is not PostgreSQL
        raise fail(str(exc)) from exc
    except OSError as exc:
        raise fail(f"cannot reach the database: {exc}") from exc
    if count:
        raise fail(
            f"the database is not migrated ({count} migration(s) not run); "
            "run 'doorstep migrate' first"
        )


def settings() -> Settings:
    return get_settings()
