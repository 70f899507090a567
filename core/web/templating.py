"""Per tenant and locale, one cached sandboxed Jinja2 environment.

Lookup order: tenant override (``tenants/<slug>/templates``) -> theme -> parent theme(s) ->
enabled vertical plugins -> core. ``core:page.html`` always names core's original, so an
override can extend what it replaces.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    PrefixLoader,
    pass_eval_context,
    select_autoescape,
)
from jinja2.nodes import EvalContext
from jinja2.sandbox import SandboxedEnvironment
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.utils.empty import value_or_default
from litestar.utils.scope.state import ScopeState
from markupsafe import escape

from core.i18n.catalogs import build_translations
from core.i18n.formatting import format_money, format_when
from core.safety.ticket import for_page as sos_ticket
from core.tenancy.model import Tenant
from core.web.tenant import request_locale

if TYPE_CHECKING:
    from core.plugins import DoorstepPluginManager
    from core.settings import Settings
    from core.web.context import AppContext

CORE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _as_text(lookup: Callable[..., Any]) -> Callable[..., str]:
    """A gettext callable whose messages are text, not markup.

    Jinja marks translated messages safe; the tenant's wording is written by agencies, so every
    message is escaped where autoescaping is on (a ``<script>`` in wording shows as text).
    """

    @pass_eval_context
    def lookup_text(eval_ctx: EvalContext, *args: Any) -> str:
        message = str(lookup(*args))
        return escape(message) if eval_ctx.autoescape else message

    return lookup_text


def template_folders(
    settings: Settings, plugins: DoorstepPluginManager, tenant: Tenant
) -> list[Path]:
    """The lookup order, first match wins: tenant override -> theme -> parent theme(s) ->
    enabled vertical plugins -> core (pages and notification templates alike)."""
    folders = [settings.tenants_dir / tenant.slug / "templates"]
    folders += [theme.path / "templates" for theme in tenant.theme.chain]
    verticals = plugins.verticals
    for slug in tenant.enabled_verticals:
        if (folder := verticals[slug].templates_dir) is not None:
            folders.append(folder)
    folders.append(CORE_TEMPLATES)
    return [f for f in folders if f.is_dir()]


class TemplateStore:
    def __init__(self, app_context: AppContext) -> None:
        self.app_context = app_context
        self._envs: dict[tuple[str, str], SandboxedEnvironment] = {}

    def search_path(self, tenant: Tenant) -> list[Path]:
        """Folders searched for an unprefixed template name, first match wins."""
        return template_folders(self.app_context.settings, self.app_context.plugins, tenant)

    def environment(self, tenant: Tenant, locale: str) -> SandboxedEnvironment:
        key = (tenant.slug, locale)
        env = self._envs.get(key)
        if env is None:
            env = self._build(tenant, locale)
            self._envs[key] = env
        return env

    def _build(self, tenant: Tenant, locale: str) -> SandboxedEnvironment:
        loader = ChoiceLoader(
            [
                PrefixLoader({"core": FileSystemLoader(CORE_TEMPLATES)}, delimiter=":"),
                FileSystemLoader(self.search_path(tenant)),
            ]
        )
        env = SandboxedEnvironment(
            loader=loader,
            autoescape=select_autoescape(default=True),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        verticals = self.app_context.plugins.verticals
        plugin_locales = [
            folder
            for slug in tenant.enabled_verticals
            if (folder := verticals[slug].locale_dir) is not None
        ]
        translations = build_translations(
            locale, plugin_locales, tenant.config.wording.get(locale, {})
        )
        env.install_gettext_callables(  # type: ignore[attr-defined]
            gettext=_as_text(translations.gettext),
            ngettext=_as_text(translations.ngettext),
            pgettext=_as_text(translations.pgettext),
            npgettext=_as_text(translations.npgettext),
            newstyle=True,
        )
        env.globals.update(
            tenant=tenant,
            locale=locale,
            html_lang=locale.replace("_", "-"),
            brand=tenant.name(locale),
            css_url=f"/static/{self.app_context.css(tenant).filename}",
            text=lambda value: tenant.config.text(value, locale),
            money=lambda fen: format_money(fen, tenant.config.currency, locale),
            when=lambda moment, fmt="medium": format_when(
                moment, tenant.config.timezone, locale, fmt
            ),
            sos_ticket=lambda user, booking_id="": sos_ticket(tenant.slug, user, booking_id),
        )
        return env

    def render(self, tenant: Tenant, locale: str, name: str, context: dict[str, Any]) -> str:
        env = self.environment(tenant, locale)
        extra: dict[str, Any] = {}
        hooks = self.app_context.plugins.for_tenant(tenant)
        for result in hooks.theme_context(template_name=name, locale=locale):
            for key, value in (result or {}).items():
                if key not in env.globals:  # core's own variables always win
                    extra.setdefault(key, value)
        return env.get_template(name).render({**extra, **context})


def render_page(
    request: Request[Any, Any, Any],
    tenant: Tenant,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response[str]:
    """Render ``name`` for the request's tenant and locale as an HTML response."""
    app_context: AppContext = request.app.state.doorstep
    locale = request_locale(request, tenant)
    page_context = {
        "request_path": request.url.path,
        "csrf_token": value_or_default(ScopeState.from_scope(request.scope).csrf_token, ""),
        "user": request.scope.get("doorstep_user"),
        **(context or {}),
    }
    body = app_context.templates.render(tenant, locale, name, page_context)
    return Response(body, media_type=MediaType.HTML, status_code=status_code)
