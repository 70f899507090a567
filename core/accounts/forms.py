"""What the account pages share: reading forms, the client's address, the tenant's row."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import FormMultiDict
from litestar.exceptions import NotFoundException

from core.accounts.profile import flatten
from core.accounts.schemas import CurrentUser
from core.dispatch.schemas import Geocoder
from core.tenancy.model import Tenant
from core.tenancy.service import tenant_row_id
from core.web.auth import current_user


async def form_of(request: Request[Any, Any, Any]) -> FormMultiDict:
    """The posted form. Fields a page does not read (a ``role``, a ``tenant``) are ignored."""
    return await request.form()


def field(form: FormMultiDict, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def client_of(request: Request[Any, Any, Any]) -> str:
    """The client address the resend limits count against."""
    return request.client.host if request.client else ""


async def tenant_id_of(tenant: Tenant) -> str:
    found = await tenant_row_id(tenant.slug)
    if found is None:  # the YAML exists but ``doorstep migrate`` has not registered it yet
        raise NotFoundException()
    return found


def signed_in_user(request: Request[Any, Any, Any]) -> CurrentUser:
    """The user the ``signed_in`` guard let through."""
    user = current_user(request)
    assert user is not None
    return user


def geocoders_for(request: Request[Any, Any, Any], tenant: Tenant) -> list[Geocoder]:
    plugins = request.app.state.doorstep.plugins
    return flatten(plugins.for_tenant(tenant).geocoders())


def is_demo(request: Request[Any, Any, Any]) -> bool:
    return bool(request.app.state.doorstep.settings.demo)
