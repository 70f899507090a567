"""Host -> tenant for every request, and the request's locale.

The tenant comes from the Host header only. An unknown host gets a plain 404 that says nothing
about which tenants exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.middleware import ASGIMiddleware
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    Scope,
    Send,
)

from core.tenancy.model import Tenant

if TYPE_CHECKING:
    from litestar import Request

    from core.web.context import AppContext

LANG_COOKIE = "doorstep_lang"
TENANT_KEY = "doorstep_tenant"
PUBLIC_OPT = "tenantless"
"""Route opt flag: the route answers on any host (health checks)."""

PLAIN_404 = (
    b"<!doctype html><html><head><meta charset='utf-8'><title>404</title></head>"
    b"<body><h1>404 Not Found</h1></body></html>"
)


def host_of(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"host":
            return value.decode("latin-1")
    return ""


def resolve_tenant(app_context: AppContext, scope: Scope) -> Tenant | None:
    if TENANT_KEY in scope:
        return scope[TENANT_KEY]  # type: ignore[literal-required]
    tenant = app_context.tenants.for_host(host_of(scope))
    scope[TENANT_KEY] = tenant  # type: ignore[literal-required]
    return tenant


async def send_plain_404(send: Send) -> None:
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 404,
        "headers": [(b"content-type", b"text/html; charset=utf-8")],
    }
    await send(start)
    body: HTTPResponseBodyEvent = {
        "type": "http.response.body",
        "body": PLAIN_404,
        "more_body": False,
    }
    await send(body)


class TenantMiddleware(ASGIMiddleware):
    """Attach the Host's tenant to the scope, or answer a plain 404."""

    exclude_opt_key = PUBLIC_OPT

    def __init__(self, app_context: AppContext) -> None:
        self.app_context = app_context

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["type"] == "http" and resolve_tenant(self.app_context, scope) is None:
            await send_plain_404(send)
            return
        await next_app(scope, receive, send)


def request_tenant(request: Request[Any, Any, Any]) -> Tenant:
    """Dependency: the current tenant (the middleware guarantees one)."""
    tenant = request.scope.get(TENANT_KEY)
    assert isinstance(tenant, Tenant)
    return tenant


def request_locale(request: Request[Any, Any, Any], tenant: Tenant) -> str:
    """The visitor's chosen language if the tenant offers it, else the tenant's default."""
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in tenant.config.locales else tenant.config.default_locale
