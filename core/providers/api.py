"""API v1 for providers: a public profile, and the signed-in provider's identity verification.

Errors are ``{"status_code", "detail", "field"}``; ``detail`` starts with the field's name.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody

from core.accounts.forms import signed_in_user, tenant_id_of
from core.providers.onboarding import profile_of_user
from core.providers.public import PublicProfile, public_profile
from core.providers.web import verifiers_of
from core.tenancy.model import Tenant
from core.verification import identity
from core.verification.service import VerificationError
from core.verification.status import verification_status
from core.web.auth import signed_in
from core.web.tenant import request_tenant


class IdentitySubmission(msgspec.Struct, rename="camel", kw_only=True):
    id_number: str = ""
    """Mainland resident ID number (18 characters, GB 11643)."""
    real_name: str = ""
    """Exactly as printed on the ID card."""
    address: str = ""
    """Home address (kept encrypted)."""
    liveness_token: str = ""
    """The identity vendor's token from its face check in the app. No image is ever sent."""


class CheckOut(msgspec.Struct, rename="camel", kw_only=True):
    key: str
    """``phone``, ``id_number``, ``address``, ``real_name``, ``face_match``,
    ``police_filing``, ``certificate:<type>`` or ``training:<course>``."""
    group: str
    status: str
    """``passed``, ``pending``, ``failed``, ``expired`` or ``missing``."""
    reason: str = ""
    valid_until: date | None = None
    score: int | None = None


class VerificationOut(msgspec.Struct, rename="camel", kw_only=True):
    provider_status: str
    """``onboarding``, ``pending_review``, ``active``, ``suspended`` or ``rejected``."""
    status_reason: str
    waiting_for_vendor: bool
    """A vendor's answer is awaited: ask again in a few seconds."""
    checks: list[CheckOut]


class ApiError(msgspec.Struct, kw_only=True):
    status_code: int
    detail: str
    field: str = ""


async def _my_profile(request: Request[Any, Any, Any], tenant: Tenant) -> tuple[str, str]:
    tenant_id = await tenant_id_of(tenant)
    profile = await profile_of_user(signed_in_user(request).id, tenant_id)
    if profile is None:
        raise NotFoundException("start onboarding as a provider first")
    return tenant_id, str(profile["id"])


class ProviderApi(Controller):
    path = "/api/v1/providers"
    tags = ["providers"]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/{provider_id:str}", operation_id="getProvider", summary="A provider's public profile")
    async def get_provider(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        provider_id: FromPath[str],
    ) -> PublicProfile:
        """What anyone may see of an active provider: badges (never numbers), certificates'
        types and validity, rating, reviews and signed media links (valid 30 minutes).
        404 for unknown or inactive providers."""
        app_context = request.app.state.doorstep
        found = await public_profile(
            app_context.plugins,
            tenant,
            await tenant_id_of(tenant),
            app_context.catalog(tenant),
            provider_id,
            datetime.now(UTC),
        )
        if found is None:
            raise NotFoundException()
        return found

    @post(
        "/me/verification",
        operation_id="submitVerification",
        summary="Submit the signed-in provider's identity for verification",
        guards=[signed_in],
        status_code=202,
    )
    async def submit_verification(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        data: JSONBody[IdentitySubmission],
    ) -> Response[Any]:
        """The ID number is checked at once (checksum, birth date, region); the real-name and
        face checks go to the identity vendor and answer later: poll
        ``getVerificationStatus``. 400 names the field; 404 before onboarding started."""
        tenant_id, profile_id = await _my_profile(request, tenant)
        try:
            await identity.submit_identity(
                tenant,
                tenant_id,
                profile_id,
                id_number=data.id_number,
                real_name=data.real_name,
                address=data.address,
                liveness_token=data.liveness_token,
                verifier=verifiers_of(request, tenant)[0],
            )
        except VerificationError as exc:
            body = ApiError(status_code=400, detail=f"{exc.field}: {exc.reason}", field=exc.field)
            return Response(body, status_code=400)
        return Response(await _status(request, tenant, tenant_id, profile_id), status_code=202)

    @get(
        "/me/verification",
        operation_id="getVerificationStatus",
        summary="Where each of the signed-in provider's checks stands",
        guards=[signed_in],
    )
    async def get_verification_status(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> VerificationOut:
        """Every check the provider's services need, with its state and reason. Pending
        vendor checks are asked about first."""
        tenant_id, profile_id = await _my_profile(request, tenant)
        return await _status(request, tenant, tenant_id, profile_id)


async def _status(
    request: Request[Any, Any, Any], tenant: Tenant, tenant_id: str, profile_id: str
) -> VerificationOut:
    app_context = request.app.state.doorstep
    now = datetime.now(UTC)
    await identity.poll_vendor_checks(tenant, tenant_id, verifiers_of(request, tenant), now)
    status = await verification_status(
        app_context.plugins, tenant, tenant_id, app_context.catalog(tenant), profile_id, now
    )
    return VerificationOut(
        provider_status=status.provider_status,
        status_reason=status.status_reason,
        waiting_for_vendor=status.waiting,
        checks=[
            CheckOut(
                key=c.key,
                group=c.group,
                status=c.status,
                reason=c.reason,
                valid_until=c.valid_until,
                score=c.score,
            )
            for c in status.checks
        ],
    )
