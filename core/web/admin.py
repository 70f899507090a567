"""Shared by the tenant admin console's pages: render inside ``admin/base.html`` with its nav."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from core.tenancy.model import Tenant
from core.web.templating import render_page

ADMIN_PREFIX = "/admin"


def admin_paths(request: Request[Any, Any, Any]) -> list[str]:
    """The console pages this app serves (the nav links only to these)."""
    return sorted({r.path for r in request.app.routes if r.path.startswith(ADMIN_PREFIX)})


def render_admin(
    request: Request[Any, Any, Any],
    tenant: Tenant,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response[str]:
    """``render_page`` for a console page (it extends ``admin/base.html``)."""
    page = {"admin_paths": admin_paths(request), **(context or {})}
    response = render_page(request, tenant, name, page, status_code)
    # Console pages show prices and people as they are now: never from a shared cache.
    response.headers["cache-control"] = "no-store"
    return response
