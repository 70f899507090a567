"""``create_app()``: the Litestar app serving every tenant of this install."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Litestar, Request, Response, Router
from litestar.background_tasks import BackgroundTask
from litestar.config.app import AppConfig
from litestar.config.csrf import CSRFConfig
from litestar.enums import MediaType
from litestar.exceptions import HTTPException, NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins import InitPlugin
from litestar.types import Guard

from core.accounts import account_pages, admin_pages
from core.accounts import api as accounts_api
from core.accounts import pages as accounts_pages
from core.booking import admin_pages as booking_admin
from core.booking import book_pages, job_pages
from core.booking import pages as booking_pages
from core.booking.api import BookingApi
from core.booking.api_urgent import UrgentApi
from core.booking.series_pages import SeriesPages
from core.booking.urgent_pages import UrgentPages
from core.boot import load_tenants
from core.catalog import pages as catalog_pages
from core.catalog.admin import PriceAdmin
from core.catalog.api import CatalogApi
from core.db import engine_for, use_engine
from core.dispatch import pages as dispatch_pages
from core.dispatch.api import DispatchApi
from core.ledger import pages as ledger_pages
from core.ledger.api import LedgerApi
from core.notifications.ics import booking_ics
from core.payments import api as payments_api
from core.payments import pages as payments_pages
from core.payments.gateways import use_runtime as use_payment_runtime
from core.payments.reconcile_pages import ReconcilePages
from core.payments.standin.pages import StandinPages
from core.plugins import DoorstepPluginManager, build_plugin_manager
from core.privacy import service as privacy
from core.providers import admin_pages as provider_admin
from core.providers import checks_pages, join_pages, public_pages
from core.providers.api import ProviderApi
from core.quality import pages as quality_pages
from core.quality import staff_pages as quality_console
from core.quality.api import QualityApi
from core.safety import admin_pages as safety_admin
from core.safety import pages as safety_pages
from core.safety.api import SafetyApi
from core.settings import Settings, get_settings
from core.tenancy.registry import TenantRegistry
from core.web import api, assets, collector, pages
from core.web.auth import AuthMiddleware, SignInRequired, sign_in_redirect
from core.web.context import AppContext
from core.web.templating import render_page
from core.web.tenant import PLAIN_404, TenantMiddleware, request_locale, resolve_tenant
from core.web.tenant_scope import TenantTransactionMiddleware

log = logging.getLogger("doorstep.web")
VERSION = "0.1.0"


def _vertical_enabled_guard(slug: str) -> Guard:
    async def guard(connection: Any, _: Any) -> None:
        tenant = resolve_tenant(connection.app.state.doorstep, connection.scope)
        if tenant is None or slug not in tenant.enabled_verticals:
            raise NotFoundException()

    return guard


def plugin_routers(plugins: DoorstepPluginManager) -> list[Router]:
    """Each vertical's routes under ``/v/<slug>``, answering 404 where it is not enabled."""
    routers = []
    for impl in plugins.hook.register_routes.get_hookimpls():
        vertical = plugins.vertical_of_plugin(impl.plugin)
        if vertical is None:
            raise RuntimeError(f"{impl.plugin_name}: only vertical plugins may register routes")
        handlers: list[Any] = list(impl.function() or [])  # type: ignore[call-overload]
        if handlers:
            routers.append(
                Router(
                    path=f"/v/{vertical.slug}",
                    route_handlers=handlers,
                    guards=[_vertical_enabled_guard(vertical.slug)],
                )
            )
    return routers


def _error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """HTML pages for people, JSON for the API, a plain 404 for unknown hosts."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status >= 500:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
    tenant = resolve_tenant(request.app.state.doorstep, request.scope)
    if tenant is None:
        return Response(PLAIN_404, status_code=404, media_type=MediaType.HTML)
    is_api = request.url.path.startswith(("/api/", "/schema", "/health"))
    if isinstance(exc, SignInRequired) and not is_api:
        return sign_in_redirect(request, staff=request.url.path.startswith(("/admin", "/staff")))
    detail = exc.detail if isinstance(exc, HTTPException) and status < 500 else "Server error"
    csrf_rejected = status == 403 and "CSRF" in str(detail)
    if csrf_rejected:
        log.warning("security event csrf_rejected on %s %s", request.method, request.url.path)
    if is_api:
        return Response({"status_code": status, "detail": detail}, status_code=status)
    name = "errors/404.html" if status == 404 else "errors/error.html"
    locale = request_locale(request, tenant)
    context = {"status": status, "locale": locale, "detail": detail if status < 500 else ""}
    response = render_page(request, tenant, name, context, status)
    if csrf_rejected:
        response.background = BackgroundTask(
            _record_csrf_rejection, tenant.slug, f"{request.method} {request.url.path}"[:200]
        )
    return response


async def _record_csrf_rejection(tenant_slug: str, detail: str) -> None:
    from core.accounts.service import security_event
    from core.tenancy.service import tenant_row_id

    tenant_id = await tenant_row_id(tenant_slug)
    if tenant_id is not None:
        await security_event(tenant_id, "csrf_rejected", detail)


class DoorstepPlugin(InitPlugin):
    """Wires Doorstep into a Litestar app: tenants, routes, templates, OpenAPI."""

    def __init__(self, app_context: AppContext) -> None:
        self.app_context = app_context

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.state["doorstep"] = self.app_context
        app_config.route_handlers += [
            pages.SitePages,
            api.TenantApi,
            CatalogApi,
            BookingApi,
            UrgentApi,
            UrgentPages,
            SeriesPages,
            book_pages.BookPages,
            booking_pages.BookingPages,
            job_pages.JobPages,
            booking_admin.BookingAdminPages,
            dispatch_pages.ProviderRoutePage,
            dispatch_pages.DispatchBoard,
            DispatchApi,
            catalog_pages.CatalogPages,
            accounts_pages.SignInPages,
            account_pages.AccountPages,
            admin_pages.AccountAdminPages,
            accounts_api.AuthApi,
            PriceAdmin,
            join_pages.JoinPages,
            checks_pages.CheckPages,
            checks_pages.ProviderStatusPages,
            public_pages.PublicProviderPages,
            public_pages.TrustCodePages,
            provider_admin.ProviderAdminPages,
            ProviderApi,
            QualityApi,
            quality_pages.ComplaintPages,
            quality_pages.ProviderQualityPages,
            quality_pages.PublicQualityPages,
            quality_console.ComplaintConsole,
            quality_console.AppealConsole,
            quality_console.SpotCheckConsole,
            quality_console.QualityDashboard,
            SafetyApi,
            safety_pages.SosPage,
            safety_pages.SafetyPages,
            safety_admin.SafetyAdminPages,
            payments_api.PaymentApi,
            payments_api.payment_notification,
            payments_pages.PaymentPages,
            StandinPages,
            LedgerApi,
            ledger_pages.EarningsPages,
            ledger_pages.FinancePages,
            ReconcilePages,
            ledger_pages.PlatformStatementPages,
            booking_ics,
            api.health,
            assets.site_css,
            assets.theme_file,
            assets.tenant_file,
            assets.api_doc_asset,
            assets.core_file,
            *plugin_routers(self.app_context.plugins),
        ]
        app_config.on_startup.append(collector.tune)
        app_config.on_startup.append(self._open_pools)
        app_config.on_shutdown.append(self._close_pools)
        app_config.middleware.append(TenantMiddleware(self.app_context))
        app_config.middleware.append(TenantTransactionMiddleware(self.app_context))
        app_config.middleware.append(AuthMiddleware(self.app_context))
        app_config.csrf_config = CSRFConfig(
            secret=csrf_secret(),
            cookie_name="doorstep_csrf",
            cookie_httponly=True,
            cookie_samesite="lax",
            # The API authenticates with bearer tokens only, never cookies: no CSRF there.
            # Gateways post notifications server to server, signed (checked by the provider).
            # An SOS must not be lost to a stale page: its ticket stands in (core.safety.pages).
            exclude=["/api/", "/health", "/schema", "/payments/notify/", "/safety/sos"],
        )
        app_config.exception_handlers[HTTPException] = _error_page
        app_config.exception_handlers[Exception] = _error_page
        app_config.openapi_config = OpenAPIConfig(
            title="Doorstep API",
            version=VERSION,
            path="/schema",
            render_plugins=[
                SwaggerRenderPlugin(
                    path="/",
                    js_url="/schema/assets/swagger-ui-bundle.js",
                    css_url="/schema/assets/swagger-ui.css",
                    standalone_preset_js_url="/schema/assets/swagger-ui-standalone-preset.js",
                    favicon="",
                )
            ],
        )
        return app_config

    async def _open_pools(self) -> None:
        from core.db_pool import start_pools
        from core.tenancy.tables import TenantRow

        await start_pools(TenantRow._meta.db, self.app_context.settings.database_pool_size)

    async def _close_pools(self) -> None:
        from core.db_pool import close_pools
        from core.tenancy.tables import TenantRow

        await close_pools(TenantRow._meta.db)


def csrf_secret() -> str:
    """Derived from the index key, so no extra secret to configure and every worker agrees."""
    import hashlib
    import hmac

    return hmac.new(privacy.keyring().index_key, b"csrf", hashlib.sha256).hexdigest()


def create_app(
    settings: Settings | None = None,
    plugins: DoorstepPluginManager | None = None,
    tenants: TenantRegistry | None = None,
) -> Litestar:
    """Build the app. Refuses to start (``TenantConfigError``) if any tenant file is invalid."""
    settings = settings or get_settings()
    plugins = plugins or build_plugin_manager()
    if tenants is None:
        tenants = load_tenants(settings, plugins)
    app_context = AppContext(settings=settings, plugins=plugins, tenants=tenants)
    use_engine(engine_for(settings))
    privacy.configure(settings)
    use_payment_runtime(settings, plugins)
    return Litestar(plugins=[DoorstepPlugin(app_context)], debug=False)
