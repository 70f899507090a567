"""The tenant admin's account pages: users (roles, disable/enable) and the audit trail."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from core.accounts import directory
from core.accounts.forms import form_of, signed_in_user, tenant_id_of
from core.accounts.profile import NotFound
from core.accounts.schemas import STAFF_ROLES
from core.accounts.service import AccountError
from core.tenancy.model import Tenant
from core.web.admin import render_admin
from core.web.auth import require_roles
from core.web.tenant import request_tenant

NOTICES = ("roles", "disabled", "enabled")


class AccountAdminPages(Controller):
    path = "/admin"
    include_in_schema = False
    guards = [require_roles("admin")]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    async def _users_page(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        page: int = 1,
        extra: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        accounts, more = await directory.list_accounts(await tenant_id_of(tenant), page)
        context = {
            "accounts": accounts,
            "page": page,
            "more": more,
            "staff_roles": STAFF_ROLES,
            "me": signed_in_user(request).id,
            "error": None,
            **(extra or {}),
        }
        return render_admin(request, tenant, "admin/users.html", context, status_code)

    @get("/users")
    async def users(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        page: FromQuery[int] = 1,
        done: FromQuery[str | None] = None,
    ) -> Response[Any]:
        notice = done if done in NOTICES else ""
        return await self._users_page(request, tenant, max(1, page), {"done": notice})

    async def _act(
        self, request: Request[Any, Any, Any], tenant: Tenant, user_id: str, action: str
    ) -> Response[Any]:
        actor = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        try:
            if action == "roles":
                form = await form_of(request)
                roles = [r for r in form.getall("role", []) if isinstance(r, str)]
                await directory.change_roles(actor, tenant_id, user_id, roles)
            elif action == "disabled":
                await directory.disable(actor, tenant_id, user_id)
            else:
                await directory.enable(actor, tenant_id, user_id)
        except NotFound:
            raise NotFoundException() from None
        except AccountError as exc:
            error = {"user": user_id, "field": exc.field, "reason": exc.reason}
            return await self._users_page(request, tenant, 1, {"error": error}, 400)
        return Redirect(path=f"/admin/users?done={action}", status_code=303)

    @post("/users/{user_id:str}/roles")
    async def change_roles(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        user_id: FromPath[str],
    ) -> Response[Any]:
        """Exactly the ticked roles; anything else in the form (a tenant, a kind) is ignored."""
        return await self._act(request, tenant, user_id, "roles")

    @post("/users/{user_id:str}/disable")
    async def disable(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        user_id: FromPath[str],
    ) -> Response[Any]:
        """Disable the account; its sessions and tokens stop working at once."""
        return await self._act(request, tenant, user_id, "disabled")

    @post("/users/{user_id:str}/enable")
    async def enable(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        user_id: FromPath[str],
    ) -> Response[Any]:
        return await self._act(request, tenant, user_id, "enabled")

    @get("/audit")
    async def audit(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        """Who read which clear personal value, and the latest security events."""
        reads, events = await directory.audit_trail(await tenant_id_of(tenant))
        return render_admin(request, tenant, "admin/audit.html", {"reads": reads, "events": events})
