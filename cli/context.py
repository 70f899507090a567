"""What commands load: settings, plugins and tenants, with user errors turned into exit 2."""

from __future__ import annotations

from cli.errors import err, fail
from core.plugins import DoorstepPluginManager, PluginError, build_plugin_manager
from core.settings import Settings, get_settings
from core.tenancy.loader import TenantConfigError
from core.tenancy.registry import TenantRegistry, load_registry


def load_plugins() -> DoorstepPluginManager:
    try:
        return build_plugin_manager()
    except PluginError as exc:
        raise fail(f"plugins: {exc}") from exc


def load_tenants(settings: Settings, plugins: DoorstepPluginManager) -> TenantRegistry:
    try:
        return load_registry(settings.tenants_dir, plugins.verticals, settings.themes_dir)
    except TenantConfigError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False)
        raise fail(f"{len(exc.problems)} problem(s) in tenant files; nothing was started") from exc


def settings() -> Settings:
    return get_settings()
