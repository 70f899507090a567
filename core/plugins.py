"""The plugin host: ``build_plugin_manager()`` and per-tenant hook calls.

No module-global manager: the app, the CLI and each test build their own. Installed is not
enabled: every installed plugin is registered, and ``TenantHooks`` calls hooks for one tenant
through cached ``subset_hook_caller``s that leave out the verticals it has not enabled.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from functools import cached_property
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from core import hookspecs
from core.catalog.schemas import Vertical

if TYPE_CHECKING:
    from core.tenancy.model import Tenant

ENTRY_POINT_GROUP = "doorstep.plugins"

# Core behaviour written as default plugins, registered before any installed plugin.
CORE_DEFAULTS = (
    "core.catalog.defaults",
    "core.verification.defaults",
    "core.notifications.defaults",
    "core.dispatch.defaults",
    "core.payments.defaults",
)


class PluginError(Exception):
    """A plugin set that cannot start (a duplicate vertical slug, a stray hookimpl)."""


class DoorstepPluginManager(pluggy.PluginManager):
    """pluggy's manager plus the vertical registry and per-tenant callers."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)
        self._subset_cache: dict[tuple[frozenset[str], str], Any] = {}

    @cached_property
    def verticals(self) -> dict[str, Vertical]:
        """Installed verticals by slug."""
        return {slug: vertical for slug, (_, vertical) in self._vertical_owners.items()}

    def vertical_labels(self, tenant: Tenant, locale: str) -> dict[str, str]:
        """Each installed vertical's name in ``locale`` (``家政保洁``), by slug, for pages."""
        return {slug: tenant.config.text(v.label, locale) for slug, v in self.verticals.items()}

    @cached_property
    def _vertical_owners(self) -> dict[str, tuple[object, Vertical]]:
        owners: dict[str, tuple[object, Vertical]] = {}
        for impl in self.hook.register_vertical.get_hookimpls():
            vertical = impl.function()
            if vertical is None:
                continue
            if not isinstance(vertical, Vertical):
                raise PluginError(f"{impl.plugin_name}: register_vertical must return a Vertical")
            if vertical.slug in owners:
                raise PluginError(
                    f"vertical {vertical.slug!r} is declared by both "
                    f"{self.get_name(owners[vertical.slug][0])} and {impl.plugin_name}"
                )
            owners[vertical.slug] = (impl.plugin, vertical)
        return owners

    def plugin_of_vertical(self, slug: str) -> object:
        return self._vertical_owners[slug][0]

    def vertical_of_plugin(self, plugin: object) -> Vertical | None:
        for owner, vertical in self._vertical_owners.values():
            if owner is plugin:
                return vertical
        return None

    def caller(self, hook_name: str, enabled_verticals: Iterable[str]) -> Any:
        """The hook caller for a tenant with these verticals enabled (cached)."""
        enabled = frozenset(enabled_verticals)
        key = (enabled, hook_name)
        caller = self._subset_cache.get(key)
        if caller is None:
            excluded = [
                plugin for slug, (plugin, _) in self._vertical_owners.items() if slug not in enabled
            ]
            caller = self.subset_hook_caller(hook_name, remove_plugins=excluded)
            self._subset_cache[key] = caller
        return caller

    def for_tenant(self, tenant: Tenant) -> TenantHooks:
        return TenantHooks(self, tenant)


class TenantHooks:
    """Hook calls for one tenant: ``TenantHooks(pm, t).service_taxonomy()``.

    The ``tenant`` argument is filled in; plugins of verticals the tenant has not enabled are
    left out. Plugins that declare no vertical (a payment adapter, say) run for every tenant.
    """

    def __init__(self, pm: DoorstepPluginManager, tenant: Tenant) -> None:
        self._pm = pm
        self._tenant = tenant

    def implemented(self, hook_name: str) -> bool:
        """Whether any plugin of this tenant implements the hook (a caller may then skip
        work whose only purpose is to feed it)."""
        return bool(self._pm.caller(hook_name, self._tenant.config.verticals).get_hookimpls())

    def __getattr__(self, hook_name: str) -> Any:
        caller = self._pm.caller(hook_name, self._tenant.config.verticals)

        def call(**kwargs: Any) -> Any:
            return caller(tenant=self._tenant, **kwargs)

        return call


def build_plugin_manager(
    *, load_installed: bool = True, extra: Iterable[object | ModuleType] = ()
) -> DoorstepPluginManager:
    """Build a plugin manager: core defaults, installed plugins (entry points), then ``extra``.

    Raises ``PluginError`` when a hookimpl matches no hookspec, takes an argument its hookspec
    does not have or is ``async``, or when two plugins claim a slug.
    """
    import importlib

    pm = DoorstepPluginManager()
    for name in CORE_DEFAULTS:
        pm.register(importlib.import_module(name), name=name)
    try:
        # pluggy checks a hookimpl's arguments when it is registered, the rest in check_pending
        if load_installed:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        for plugin in extra:
            pm.register(plugin)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(str(exc)) from exc
    _refuse_async_hookimpls(pm)
    _ = pm.verticals  # fail at start-up, not on the first request
    return pm


def _refuse_async_hookimpls(pm: DoorstepPluginManager) -> None:
    """Hooks are synchronous: an ``async def`` hookimpl would hand core an unawaited coroutine."""
    for caller in vars(pm.hook).values():
        for impl in caller.get_hookimpls():
            if inspect.iscoroutinefunction(impl.function) or inspect.isasyncgenfunction(
                impl.function
            ):
                raise PluginError(
                    f"{impl.plugin_name}: {caller.name} must not be async "
                    "(return an object with async methods instead)"
                )
