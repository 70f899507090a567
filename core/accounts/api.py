"""API v1 sign-in for the agencies' mobile apps: a code by SMS, then a bearer token.

Errors are ``{"status_code", "detail", "field"}``; ``detail`` starts with the field's name.
The answer to ``requestCode`` is the same whether or not the number has an account.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.params import JSONBody

from core.accounts import otp, profile, service, signin, users
from core.accounts.codes import send_code
from core.accounts.forms import client_of, signed_in_user, tenant_id_of
from core.accounts.profile import NotFound
from core.accounts.service import AccountError, RateLimited
from core.privacy.masking import mask_name
from core.tenancy.model import Tenant
from core.web.auth import bearer_token, signed_in
from core.web.tenant import request_tenant


class CodeRequest(msgspec.Struct, rename="camel", kw_only=True):
    phone: str = ""
    """Mobile number; +86 is assumed without a country code."""
    consent: bool = False
    """The person accepted the personal-data notice (``/privacy``); required."""
    locale: str = ""
    """Language of the SMS (``zh_CN``, ``en``); the tenant's default when empty."""


class CodeSent(msgspec.Struct, rename="camel", kw_only=True):
    sent: bool
    expires_in_seconds: int
    resend_after_seconds: int


class SignInRequest(msgspec.Struct, rename="camel", kw_only=True):
    phone: str = ""
    code: str = ""
    label: str = ""
    """What the token is for, e.g. the device name (shown to the person)."""


class Me(msgspec.Struct, rename="camel", kw_only=True):
    id: str
    tenant: str
    kind: str
    roles: list[str]
    phone: str
    """Masked: ``138****1234``."""
    email: str
    """Masked: ``a***@example.com``."""
    name: str
    """Masked: ``王**``."""


class TokenIssued(msgspec.Struct, rename="camel", kw_only=True):
    token: str
    """Send as ``Authorization: Bearer <token>``. Shown once; store it securely."""
    token_type: str = "bearer"  # noqa: S105 (the OAuth token type, not a secret)
    expires_at: datetime
    user: Me


class ApiError(msgspec.Struct, kw_only=True):
    status_code: int
    detail: str
    field: str = ""


def _error(status: int, exc: AccountError) -> Response[Any]:
    headers = {}
    if isinstance(exc, RateLimited):
        headers["retry-after"] = str(exc.retry_after_s)
    body = ApiError(status_code=status, detail=f"{exc.field}: {exc.reason}", field=exc.field)
    return Response(body, status_code=status, headers=headers)


async def _me(user_id: str, tenant: Tenant, tenant_id: str) -> Me:
    try:
        me = await profile.profile(user_id, tenant_id)
    except NotFound:
        raise NotFoundException() from None
    return Me(
        id=me.id,
        tenant=tenant.slug,
        kind=me.kind,
        roles=list(me.roles),
        phone=me.phone,
        email=me.email,
        name=mask_name(me.name),
    )


class AuthApi(Controller):
    path = "/api/v1"
    tags = ["accounts"]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @post(
        "/auth/codes",
        operation_id="requestCode",
        summary="Send a sign-in code by SMS",
        status_code=202,
        responses={},
    )
    async def request_code(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        data: JSONBody[CodeRequest],
    ) -> Response[Any]:
        """Always ``sent: true`` for a well-formed number, known or not (no enumeration).

        400 names the field (``phone``, ``consent``); 429 says when to retry (``Retry-After``).
        """
        if not data.consent:
            return _error(400, AccountError("consent", "accept the personal-data notice first"))
        try:
            issued = await otp.issue_code(
                await tenant_id_of(tenant), data.phone, client_of(request)
            )
        except RateLimited as exc:
            return _error(429, exc)
        except AccountError as exc:
            return _error(400, exc)
        locale = data.locale if data.locale in tenant.config.locales else ""
        await send_code(
            request.app.state.doorstep.plugins,
            tenant,
            issued,
            locale or tenant.config.default_locale,
        )
        body = CodeSent(
            sent=True,
            expires_in_seconds=int(otp.CODE_TTL.total_seconds()),
            resend_after_seconds=int(otp.RESEND_GAP.total_seconds()),
        )
        return Response(body, status_code=202)

    @post(
        "/auth/tokens",
        operation_id="signIn",
        summary="Exchange a code for a token",
        status_code=201,
    )
    async def sign_in(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        data: JSONBody[SignInRequest],
    ) -> Response[Any]:
        """A bearer token bound to this tenant and the number's account (created if new).

        Wrong, expired, used and exhausted codes all answer 400 on ``code``.
        """
        tenant_id = await tenant_id_of(tenant)
        try:
            user_id = await otp.redeem_code(tenant_id, data.phone, data.code, client_of(request))
        except AccountError as exc:
            return _error(400, exc)
        await users.record_consent(user_id)
        token = await signin.issue_token(user_id, tenant_id, label=data.label or "mobile app")
        issued = TokenIssued(
            token=token,
            expires_at=service.now_utc() + signin.TOKEN_TTL,
            user=await _me(user_id, tenant, tenant_id),
        )
        return Response(issued, status_code=201)

    @delete(
        "/auth/tokens/current",
        operation_id="signOut",
        summary="Revoke the token of this request",
        guards=[signed_in],
        status_code=204,
    )
    async def sign_out(self, request: Request[Any, Any, Any]) -> None:
        token = bearer_token(request.scope)
        if not token:
            raise NotAuthorizedException("send the token as Authorization: Bearer <token>")
        await signin.revoke_token(token)

    @get("/me", operation_id="getMe", summary="The signed-in account", guards=[signed_in])
    async def get_me(self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]) -> Me:
        """Who the token belongs to. Personal values are masked."""
        user = signed_in_user(request)
        return await _me(user.id, tenant, await tenant_id_of(tenant))
