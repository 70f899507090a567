"""Who is asking: a session cookie (pages) or a bearer token (API), on this tenant only.

Sessions and tokens are bound to the tenant that issued them; on another tenant's host they
are simply not recognised (a bearer token there is answered 401 and logged).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from core.accounts import signin
from core.accounts.schemas import CurrentUser
from core.tenancy import counters
from core.tenancy.service import tenant_row_id
from core.web.tenant import resolve_tenant

if TYPE_CHECKING:
    from litestar import Request, Response

    from core.web.context import AppContext

SESSION_COOKIE = "doorstep_session"
USER_KEY = "doorstep_user"


class SignInRequired(NotAuthorizedException):
    """Raised by guards; pages turn it into a redirect to the sign-in page."""


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def _cookie(scope: Scope, name: str) -> str:
    for part in _header(scope, b"cookie").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


class AuthMiddleware(ASGIMiddleware):
    """Attach the signed-in user (or None) to the request."""

    def __init__(self, app_context: AppContext) -> None:
        self.app_context = app_context

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope[USER_KEY] = None  # type: ignore[literal-required]
        with counters.reading():  # what the sign-in read, for this request only
            if scope["type"] == "http":
                tenant = resolve_tenant(self.app_context, scope)
                if tenant is not None:
                    user = await identify(scope, tenant.slug)
                    scope[USER_KEY] = user  # type: ignore[literal-required]
                    if user is None and bearer_token(scope):
                        raise NotAuthorizedException("the token is unknown, expired or revoked")
            await next_app(scope, receive, send)


def bearer_token(scope: Scope) -> str:
    """The token of an ``Authorization: Bearer <token>`` header, or ""."""
    authorization = _header(scope, b"authorization")
    return authorization[7:].strip() if authorization.lower().startswith("bearer ") else ""


async def identify(scope: Scope, tenant_slug: str) -> CurrentUser | None:
    """Anonymous requests cost nothing; credentials are checked against this tenant only."""
    bearer = bearer_token(scope)
    # The API is not protected by CSRF tokens, so it must never act on a browser's cookie.
    on_api = scope.get("path", "").startswith("/api/")
    cookie = "" if on_api else _cookie(scope, SESSION_COOKIE)
    if not bearer and not cookie:
        return None
    tenant_id = await tenant_row_id(tenant_slug)
    if tenant_id is None:
        return None
    if bearer:
        return await signin.token_user(bearer, tenant_id)
    return await signin.session_user(cookie, tenant_id)


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> CurrentUser | None:
    return connection.scope.get(USER_KEY)  # type: ignore[return-value]


async def signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: any signed-in user of this tenant."""
    if current_user(connection) is None:
        raise SignInRequired()


def require_roles(*roles: str) -> Any:
    """Guard: staff holding one of ``roles`` (agency operators hold them all)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = current_user(connection)
        if user is None:
            raise SignInRequired()
        if not user.is_staff or not user.has_role(*roles):
            raise PermissionDeniedException("your role does not allow this")

    return guard


def require_kind(*kinds: str) -> Any:
    """Guard: a signed-in customer, provider... of this tenant."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = current_user(connection)
        if user is None:
            raise SignInRequired()
        if user.kind not in kinds:
            raise NotFoundException()

    return guard


def sign_in_redirect(request: Request[Any, Any, Any], staff: bool = False) -> Response[Any]:
    from litestar.response import Redirect

    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    page = "/staff/signin" if staff else "/signin"
    return Redirect(path=f"{page}?next={quote(target, safe='')}")


def is_local_host(host: str) -> bool:
    name = host.rsplit(":", 1)[0].lower()
    return name == "localhost" or name.endswith(".localhost") or name == "127.0.0.1"


def set_session_cookie(
    response: Response[Any], request: Request[Any, Any, Any], token: str
) -> None:
    """HttpOnly, SameSite=Lax, Secure everywhere except localhost development hosts."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(signin.SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=not is_local_host(request.headers.get("host", "")),
        path="/",
    )


def clear_session_cookie(response: Response[Any]) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
