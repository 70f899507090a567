"""What the provider pages share: the signed-in provider, the media store, the tenant's
verifiers, reading dates, numbers and files from forms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from litestar import Request, Response
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from core.accounts.forms import signed_in_user, tenant_id_of
from core.catalog.model import TenantCatalog
from core.providers.media import Upload
from core.providers.onboarding import Onboarding, onboarding_state, profile_of_user
from core.providers.service import ProfileError
from core.providers.storage import MediaStore
from core.tenancy.model import Tenant
from core.verification.certificates import CERTIFICATE_TYPES
from core.verification.schemas import IdentityVerifier
from core.web.templating import render_page

JOIN = "/provider/join"


class NotAProvider(Exception):
    """The signed-in account has no provider profile here yet."""


def into_join(request: Request[Any, Any, Any], exc: NotAProvider) -> Response[Any]:
    """A page or form of the provider workspace opened by an account that is not a provider
    (a customer, a staff member): to the start of joining, which makes a customer a provider
    in onboarding and tells a staff account, with a 403, that it cannot become one."""
    return go(JOIN)


@dataclass
class ProviderRequest:
    """One request of a signed-in provider: who, where, and their onboarding state."""

    request: Request[Any, Any, Any]
    tenant: Tenant
    tenant_id: str
    state: Onboarding

    @property
    def plugins(self) -> Any:
        return self.request.app.state.doorstep.plugins

    @property
    def catalog(self) -> TenantCatalog:
        return self.request.app.state.doorstep.catalog(self.tenant)

    @property
    def store(self) -> MediaStore:
        return media_store(self.request)

    @property
    def profile_id(self) -> str:
        return self.state.profile_id

    async def reload(self) -> None:
        self.state = await onboarding_state(
            self.plugins, self.tenant, self.tenant_id, self.catalog, self.profile_id
        )

    def render(
        self, name: str, context: dict[str, Any] | None = None, status_code: int = 200
    ) -> Response[Any]:
        page = {
            "state": self.state,
            "steps": self.state.steps,
            "cert_labels": CERTIFICATE_TYPES,
            **(context or {}),
        }
        return private(render_page(self.request, self.tenant, name, page, status_code))


async def provider_request(request: Request[Any, Any, Any], tenant: Tenant) -> ProviderRequest:
    """The signed-in account's provider profile; NotAProvider before onboarding starts."""
    user = signed_in_user(request)
    tenant_id = await tenant_id_of(tenant)
    profile = await profile_of_user(user.id, tenant_id)
    if profile is None:
        raise NotAProvider()
    app_context = request.app.state.doorstep
    state = await onboarding_state(
        app_context.plugins, tenant, tenant_id, app_context.catalog(tenant), str(profile["id"])
    )
    return ProviderRequest(request, tenant, tenant_id, state)


def media_store(request: Request[Any, Any, Any]) -> MediaStore:
    return MediaStore.under(request.app.state.doorstep.settings.var_dir)


def verifiers_of(request: Request[Any, Any, Any], tenant: Tenant) -> list[IdentityVerifier]:
    """The tenant's identity verifiers, its own vendor first (core's demo vendor comes last)."""
    plugins = request.app.state.doorstep.plugins
    return [v for found in plugins.for_tenant(tenant).identity_verifiers() for v in found or []]


def private(response: Response[Any]) -> Response[Any]:
    """Personal pages are never cached by shared caches or kept by the browser's history."""
    response.headers["cache-control"] = "no-store"
    return response


def go(path: str) -> Response[Any]:
    return Redirect(path=path, status_code=303)


def text(form: FormMultiDict, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def texts(form: FormMultiDict, name: str) -> list[str]:
    return [v.strip() for v in form.getall(name, []) if isinstance(v, str) and v.strip()]


def whole_number(form: FormMultiDict, name: str) -> int:
    value = text(form, name)
    if not value.isdigit() or len(value) > 6:
        raise ProfileError(name, "give a whole number")
    return int(value)


def decimal(form: FormMultiDict, name: str) -> float:
    try:
        value = float(text(form, name))
    except ValueError:
        raise ProfileError(name, "give a number") from None
    if value != value or value in {float("inf"), float("-inf")}:
        raise ProfileError(name, "give a number")
    return value


def day(form: FormMultiDict, name: str, required: bool = True) -> date | None:
    value = text(form, name)
    if not value and not required:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ProfileError(name, "give a date") from None


async def uploads(form: FormMultiDict, name: str) -> list[Upload]:
    """The files posted under ``name`` (empty file inputs are skipped). The name a file was
    sent with is kept for nothing: it never becomes a path."""
    found = []
    for value in form.getall(name, []):
        if isinstance(value, UploadFile):
            data = await value.read()
            await value.close()
            if data:
                found.append(Upload(data, value.content_type or "", value.filename or ""))
    return found


def not_found() -> NotFoundException:
    return NotFoundException()
