"""What the app knows for its whole life: settings, plugins, tenants, per-tenant caches."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from core.catalog.model import TenantCatalog
from core.catalog.service import build_catalog
from core.plugins import DoorstepPluginManager
from core.settings import Settings
from core.tenancy.model import Tenant
from core.tenancy.registry import TenantRegistry
from core.theming.css import CompiledCss, compile_css

if TYPE_CHECKING:
    from core.web.templating import TemplateStore


@dataclass
class AppContext:
    settings: Settings
    plugins: DoorstepPluginManager
    tenants: TenantRegistry
    _css: dict[str, CompiledCss] = field(default_factory=dict)
    _catalogs: dict[str, TenantCatalog] = field(default_factory=dict)

    def catalog(self, tenant: Tenant) -> TenantCatalog:
        """The tenant's catalogue (built once per process; prices come from the database)."""
        found = self._catalogs.get(tenant.slug)
        if found is None:
            found = self._catalogs[tenant.slug] = build_catalog(self.plugins, tenant)[0]
        return found

    def css(self, tenant: Tenant) -> CompiledCss:
        """The tenant's compiled stylesheet (built once per process)."""
        compiled = self._css.get(tenant.slug)
        if compiled is None:
            compiled = compile_css(tenant.theme, tenant.config.theme.tokens)
            self._css[tenant.slug] = compiled
        return compiled

    @cached_property
    def templates(self) -> TemplateStore:

        from core.web.templating import TemplateStore

        return TemplateStore(self)
