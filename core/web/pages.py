"""The tenant site's pages that belong to no domain yet: home, language switch, not-found."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from core.i18n.catalogs import SUPPORTED_LOCALES
from core.tenancy.model import Tenant
from core.web.templating import render_page
from core.web.tenant import LANG_COOKIE, request_tenant

ONE_YEAR = 365 * 24 * 3600


def safe_next(target: str | None) -> str:
    """Only a local path may be a redirect target (no open redirects)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    # Browsers read a backslash as "/" and drop tabs and newlines, so "/\evil.example" and
    # "/<tab>/evil.example" would leave the site.
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return "/"
    return target


class SitePages(Controller):
    path = "/"
    include_in_schema = False
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/")
    async def home(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[str]:
        app_context = request.app.state.doorstep
        verticals = [app_context.plugins.verticals[slug] for slug in tenant.enabled_verticals]
        return render_page(request, tenant, "home.html", {"verticals": verticals})

    @get("/lang/{code:str}")
    async def switch_language(
        self,
        tenant: NamedDependency[Tenant],
        code: FromPath[str],
        next: FromQuery[str | None] = None,
    ) -> Redirect:
        """Remember the visitor's language (a cookie) and go back where they were."""
        response = Redirect(path=safe_next(next))
        if code in tenant.config.locales and code in SUPPORTED_LOCALES:
            response.set_cookie(
                LANG_COOKIE, code, max_age=ONE_YEAR, httponly=True, samesite="lax", path="/"
            )
        return response
