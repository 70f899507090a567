"""The signed-in person's own page: profile, address book, data export, account deletion."""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from core.accounts import profile, rights
from core.accounts.forms import field, form_of, geocoders_for, signed_in_user, tenant_id_of
from core.accounts.profile import NotFound
from core.accounts.service import AccountError
from core.providers.web import media_store
from core.tenancy.model import Tenant
from core.web.auth import clear_session_cookie, signed_in
from core.web.templating import render_page
from core.web.tenant import request_tenant

ADDRESS_KINDS = ("customer", "provider")
"""Who keeps an address book (staff and operators work from the console)."""
NOTICES = ("name", "address", "default", "removed")


def _private(response: Response[Any]) -> Response[Any]:
    response.headers["cache-control"] = "no-store"
    return response


def _back(done: str, unlocated: bool = False) -> Response[Any]:
    query = f"?done={done}" + ("&unlocated=1" if unlocated else "")
    return Redirect(path=f"/account{query}", status_code=303)


class AccountPages(Controller):
    path = "/account"
    include_in_schema = False
    guards = [signed_in]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    async def _page(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        extra: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        try:
            me = await profile.profile(user.id, tenant_id)
        except NotFound:
            raise NotFoundException() from None
        book = await profile.addresses(user.id, tenant_id)
        context = {
            "me": me,
            "addresses": book,
            "has_address_book": me.kind in ADDRESS_KINDS,
            "errors": {},
            "values": {},
            "label_max": profile.LABEL_MAX,
            **(extra or {}),
        }
        return _private(render_page(request, tenant, "accounts/account.html", context, status_code))

    @get("/")
    async def account(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        done: FromQuery[str | None] = None,
        unlocated: FromQuery[str | None] = None,
    ) -> Response[Any]:
        notice = done if done in NOTICES else ""
        return await self._page(request, tenant, {"done": notice, "unlocated": unlocated == "1"})

    @post("/name")
    async def change_name(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        form = await form_of(request)
        user = signed_in_user(request)
        try:
            await profile.update_name(user.id, await tenant_id_of(tenant), field(form, "name"))
        except AccountError as exc:
            extra = {"errors": {exc.field: exc.reason}, "values": {"name": field(form, "name")}}
            return await self._page(request, tenant, extra, 400)
        return _back("name")

    @post("/addresses")
    async def add_address(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        form = await form_of(request)
        user = signed_in_user(request)
        try:
            saved = await profile.add_address(
                user.id,
                await tenant_id_of(tenant),
                field(form, "label"),
                field(form, "address"),
                geocoders_for(request, tenant),
                make_default=field(form, "default") == "yes",
            )
        except AccountError as exc:
            values = {name: field(form, name) for name in ("label", "address", "default")}
            extra = {"errors": {exc.field: exc.reason}, "values": values, "adding": True}
            return await self._page(request, tenant, extra, 400)
        return _back("address", unlocated=not saved.located)

    @get("/addresses/{address_id:str}")
    async def edit_address(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        address_id: FromPath[str],
    ) -> Response[Any]:
        user = signed_in_user(request)
        try:
            found = await profile.address(user.id, await tenant_id_of(tenant), address_id)
        except NotFound:
            raise NotFoundException() from None
        values = {"label": found.label, "address": found.text}
        return _private(
            render_page(
                request,
                tenant,
                "accounts/address_edit.html",
                {"address": found, "values": values, "errors": {}, "label_max": profile.LABEL_MAX},
            )
        )

    @post("/addresses/{address_id:str}")
    async def update_address(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        address_id: FromPath[str],
    ) -> Response[Any]:
        form = await form_of(request)
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        try:
            saved = await profile.update_address(
                user.id,
                tenant_id,
                address_id,
                field(form, "label"),
                field(form, "address"),
                geocoders_for(request, tenant),
                make_default=field(form, "default") == "yes",
            )
        except NotFound:
            raise NotFoundException() from None
        except AccountError as exc:
            found = await profile.address(user.id, tenant_id, address_id)  # checked just above
            values = {name: field(form, name) for name in ("label", "address", "default")}
            context = {
                "address": found,
                "values": values,
                "errors": {exc.field: exc.reason},
                "label_max": profile.LABEL_MAX,
            }
            return _private(
                render_page(request, tenant, "accounts/address_edit.html", context, 400)
            )
        return _back("address", unlocated=not saved.located)

    @post("/addresses/{address_id:str}/delete")
    async def delete_address(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        address_id: FromPath[str],
    ) -> Response[Any]:
        user = signed_in_user(request)
        try:
            await profile.delete_address(user.id, await tenant_id_of(tenant), address_id)
        except NotFound:
            raise NotFoundException() from None
        return _back("removed")

    @post("/addresses/{address_id:str}/default")
    async def make_default(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        address_id: FromPath[str],
    ) -> Response[Any]:
        user = signed_in_user(request)
        try:
            await profile.set_default_address(user.id, await tenant_id_of(tenant), address_id)
        except NotFound:
            raise NotFoundException() from None
        return _back("default")

    @post("/export", status_code=200)
    async def export(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[bytes]:
        """Everything held about the person, as a JSON download (the read is logged)."""
        user = signed_in_user(request)
        try:
            data = await rights.export_data(user.id, await tenant_id_of(tenant))
        except NotFound:
            raise NotFoundException() from None
        body = json.dumps(data, ensure_ascii=False, indent=2).encode()
        filename = f"{tenant.slug}-my-data-{data['exportedAt'][:10]}.json"
        return Response(
            body,
            status_code=200,
            media_type="application/json",
            headers={
                "content-disposition": f'attachment; filename="{filename}"',
                "cache-control": "no-store",
            },
        )

    @get("/delete")
    async def confirm_delete(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        return _private(render_page(request, tenant, "accounts/delete.html", {"errors": {}}))

    @post("/delete")
    async def delete_account(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        """Delete for good once the person ticked "I understand"; then they are signed out."""
        form = await form_of(request)
        if field(form, "confirm") != "yes":
            errors = {"confirm": "tick the box to confirm you want your account deleted"}
            return _private(
                render_page(request, tenant, "accounts/delete.html", {"errors": errors}, 400)
            )
        user = signed_in_user(request)
        try:
            await rights.delete_account(
                user.id, await tenant_id_of(tenant), store=media_store(request)
            )
        except NotFound:
            raise NotFoundException() from None
        except AccountError as exc:
            errors = {exc.field: exc.reason}
            return _private(
                render_page(request, tenant, "accounts/delete.html", {"errors": errors}, 409)
            )
        response = render_page(request, tenant, "accounts/deleted.html", {"user": None})
        clear_session_cookie(response)
        return _private(response)
