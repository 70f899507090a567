"""Signing in and out: mobile number + code for everyone, email + password for staff.

The answer to "send me a code" never depends on whether the number has an account.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect

from core.accounts import otp, passwords, service, signin, users
from core.accounts.codes import send_code
from core.accounts.forms import client_of, field, form_of, is_demo, tenant_id_of
from core.accounts.service import AccountError, RateLimited
from core.notifications.channels import DEV_INBOX
from core.privacy.masking import mask_phone
from core.tenancy.model import Tenant
from core.web.auth import SESSION_COOKIE, clear_session_cookie, set_session_cookie
from core.web.pages import safe_next
from core.web.templating import render_page
from core.web.tenant import request_locale, request_tenant

SIGN_IN = "accounts/signin.html"
STAFF_SIGN_IN = "accounts/staff_signin.html"


def _signed_in_response(request: Request[Any, Any, Any], token: str, target: str) -> Response[Any]:
    response: Response[Any] = Redirect(path=target, status_code=303)
    set_session_cookie(response, request, token)
    response.headers["cache-control"] = "no-store"
    return response


class SignInPages(Controller):
    path = "/"
    include_in_schema = False
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/signin")
    async def sign_in_form(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        next: FromQuery[str | None] = None,
    ) -> Response[str]:
        return render_page(request, tenant, SIGN_IN, {"step": "phone", "next": safe_next(next)})

    @post("/signin")
    async def request_code(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[str]:
        """Step 1: a number and consent in, "code sent" out (or the field to fix)."""
        form = await form_of(request)
        raw_phone, target = field(form, "phone"), safe_next(field(form, "next"))
        consent = field(form, "consent") == "yes"
        page = {"step": "phone", "phone": raw_phone, "consent": consent, "next": target}
        if not consent:
            page["errors"] = {"consent": "accept the personal-data notice to continue"}
            return render_page(request, tenant, SIGN_IN, page, 400)
        try:
            issued = await otp.issue_code(await tenant_id_of(tenant), raw_phone, client_of(request))
        except RateLimited as exc:
            page["retry_after"] = exc.retry_after_s
            return render_page(request, tenant, SIGN_IN, page, 429)
        except AccountError as exc:
            page["errors"] = {exc.field: exc.reason}
            return render_page(request, tenant, SIGN_IN, page, 400)
        plugins = request.app.state.doorstep.plugins
        await send_code(plugins, tenant, issued, request_locale(request, tenant))
        page.update(step="code", phone=issued.phone, masked=mask_phone(issued.phone))
        page["demo"] = is_demo(request)
        return render_page(request, tenant, SIGN_IN, page)

    @post("/signin/code")
    async def redeem_code(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        """Step 2: the code in, a new session out (any session the browser had is ended)."""
        form = await form_of(request)
        raw_phone, target = field(form, "phone"), safe_next(field(form, "next"))
        tenant_id = await tenant_id_of(tenant)
        try:
            user_id = await otp.redeem_code(
                tenant_id, raw_phone, field(form, "code"), client_of(request)
            )
        except AccountError as exc:
            page: dict[str, Any] = {
                "step": "code" if exc.field == "code" else "phone",
                "phone": raw_phone,
                "consent": True,
                "next": target,
                "errors": {exc.field: exc.reason},
                "demo": is_demo(request),
            }
            if exc.field == "code":
                page["masked"] = mask_phone(service.normalize_phone(raw_phone))
            return render_page(request, tenant, SIGN_IN, page, 400)
        await users.record_consent(user_id)
        token = await signin.start_session(
            user_id, tenant_id, replaces=request.cookies.get(SESSION_COOKIE, "")
        )
        return _signed_in_response(request, token, target if target != "/" else "/account")

    @post("/signout")
    async def sign_out(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """End this browser's session (the cookie goes too)."""
        token = request.cookies.get(SESSION_COOKIE, "")
        if token:
            await signin.end_session(token)
        response: Response[Any] = Redirect(path="/", status_code=303)
        clear_session_cookie(response)
        return response

    @get("/staff/signin")
    async def staff_sign_in_form(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        next: FromQuery[str | None] = None,
    ) -> Response[str]:
        return render_page(request, tenant, STAFF_SIGN_IN, {"next": safe_next(next)})

    @post("/staff/signin")
    async def staff_sign_in(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        """Email + password. Unknown email and wrong password get the very same answer."""
        form = await form_of(request)
        email, target = field(form, "email"), safe_next(field(form, "next"))
        tenant_id = await tenant_id_of(tenant)
        try:
            user_id = await passwords.check_password(
                tenant_id, email, field(form, "password"), client_of(request)
            )
        except AccountError as exc:
            page = {"email": email, "next": target, "errors": {exc.field: exc.reason}}
            return render_page(request, tenant, STAFF_SIGN_IN, page, 400)
        token = await signin.start_session(
            user_id, tenant_id, replaces=request.cookies.get(SESSION_COOKIE, "")
        )
        if target == "/":
            signed = await signin.session_user(token, tenant_id)
            target = "/admin/users" if signed and signed.has_role("admin") else "/account"
        return _signed_in_response(request, token, target)

    @get("/privacy")
    async def privacy_notice(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[str]:
        """What personal data the platform keeps, why, how long, who sees it; the rights."""
        context = {"consent_version": users.CONSENT_VERSION}
        return render_page(request, tenant, "accounts/privacy.html", context)

    @get("/dev/codes")
    async def dev_codes(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[str]:
        """Demo only: the latest code sent to each number (numbers masked). 404 otherwise."""
        if not is_demo(request):
            raise NotFoundException()
        codes = [
            {"phone": mask_phone(c.to), "code": c.code, "at": c.at}
            for c in DEV_INBOX.latest(tenant.slug)
        ]
        response = render_page(request, tenant, "accounts/dev_codes.html", {"codes": codes})
        response.headers["cache-control"] = "no-store"
        return response
