"""Pages anyone may open: a provider's public profile, signed media, and the door trust code
(the provider's QR on the phone, the customer's verdict when scanning it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import File

from core.accounts.forms import tenant_id_of
from core.privacy import service as privacy
from core.providers.media import CONTENT_TYPES
from core.providers.public import public_profile
from core.providers.service import public_name
from core.providers.storage import PUBLIC_TTL, is_stored, signature_ok, signed_url
from core.providers.tables import ProviderMedia, ProviderProfile
from core.providers.web import (
    NotAProvider,
    into_join,
    media_store,
    not_found,
    private,
    provider_request,
)
from core.tenancy.model import Tenant
from core.verification import trust
from core.verification.certificates import CERTIFICATE_TYPES
from core.web.auth import require_kind
from core.web.templating import render_page
from core.web.tenant import request_tenant

RANGE_CHUNK = 2 * 1024 * 1024


class PublicProviderPages(Controller):
    path = "/"
    include_in_schema = False
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/providers/{profile_id:str}")
    async def profile(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        profile_id: FromPath[str],
    ) -> Response[Any]:
        """An active provider's public profile; anyone else is a 404."""
        app_context = request.app.state.doorstep
        found = await public_profile(
            app_context.plugins,
            tenant,
            await tenant_id_of(tenant),
            app_context.catalog(tenant),
            profile_id,
            datetime.now(UTC),
        )
        if found is None:
            raise not_found()
        return render_page(request, tenant, "providers/public_profile.html", {"p": found})

    @get("/media/{kind:str}/{name:str}")
    async def media(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        kind: FromPath[str],
        name: FromPath[str],
        exp: FromQuery[str] = "",
        sig: FromQuery[str] = "",
    ) -> Response[Any]:
        """A stored file behind a signed, expiring URL of this tenant; anything else is a 404
        (a bad or expired signature, another tenant's link, a removed file)."""
        key = f"{kind}/{name}"
        tenant_id = await tenant_id_of(tenant)
        if not signature_ok(tenant_id, key, exp, sig, datetime.now(UTC)):
            raise not_found()
        path = media_store(request).path(tenant_id, key)
        if not path.is_file() or not await is_stored(tenant_id, key):
            raise not_found()
        content_type = CONTENT_TYPES[name.rsplit(".", 1)[1]]
        headers = {
            "cache-control": "private, max-age=600",
            "x-content-type-options": "nosniff",
            "content-security-policy": "default-src 'none'; sandbox",
            "accept-ranges": "bytes",
        }
        wanted = _byte_range(request.headers.get("range", ""), path.stat().st_size)
        if wanted is not None:
            start, end, size = wanted
            with path.open("rb") as fp:
                fp.seek(start)
                body = fp.read(end - start + 1)
            headers["content-range"] = f"bytes {start}-{end}/{size}"
            return Response(body, status_code=206, media_type=content_type, headers=headers)
        return File(
            path=path,
            media_type=content_type,
            content_disposition_type="inline",
            filename=name,
            headers=headers,
        )

    @get("/t/{code:str}")
    async def trust_check(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], code: FromPath[str]
    ) -> Response[Any]:
        """What the customer sees after scanning the provider's code: a verdict, the
        provider's photo and name, and the reasons in plain words."""
        tenant_id = await tenant_id_of(tenant)
        now = datetime.now(UTC)
        context: dict[str, Any] = {"now": now, "cert_labels": CERTIFICATE_TYPES}
        try:
            read = trust.read(code, now, tenant_id=tenant_id)
            found = await trust.provider_verdict(
                tenant, tenant_id, read.profile_id, now, read.booking_id
            )
        except (trust.TrustCodeError, LookupError) as exc:
            reason = str(exc)
            context["invalid"] = (
                "expired" if "expired" in reason else "other" if "another" in reason else "forged"
            )
            return private(render_page(request, tenant, "providers/trust_check.html", context))
        context["verdict"] = found
        context["provider"] = await _face_of(tenant, tenant_id, read.profile_id, now)
        context["expires_at"] = read_expiry(code)
        return private(render_page(request, tenant, "providers/trust_check.html", context))


class TrustCodePages(Controller):
    path = "/provider"
    include_in_schema = False
    guards = [require_kind("provider")]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}
    exception_handlers = {NotAProvider: into_join}

    @get("/trust-code")
    async def trust_code(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking: FromQuery[str] = "",
    ) -> Response[Any]:
        """The provider's QR for the door: valid five minutes, refreshed before it lapses.
        Shown from a job (``?booking=``), it carries the booking, and the customer's scan says
        whether this is the provider assigned to it; a booking that is not this provider's
        job under way now is a 404."""
        page = await provider_request(request, tenant)
        now = datetime.now(UTC)
        if booking and not await trust.is_assigned(page.tenant_id, booking, page.profile_id):
            raise not_found()
        code = trust.issue(page.tenant_id, page.profile_id, booking, now)
        url = str(request.base_url).rstrip("/") + f"/t/{code}"
        context = {
            "step": "trust",
            "code_url": url,
            "qr": trust.qr_svg(url),
            "ttl_seconds": int(trust.TTL.total_seconds()),
            "verdict": await trust.provider_verdict(
                tenant, page.tenant_id, page.profile_id, now, booking
            ),
            "booking_id": booking,
        }
        return page.render("providers/trust_code.html", context)


async def _face_of(
    tenant: Tenant, tenant_id: str, profile_id: str, now: datetime
) -> dict[str, Any] | None:
    """The provider's public name and photo (for the customer at the door)."""
    row = (
        await ProviderProfile.select(
            ProviderProfile.name_enc, ProviderProfile.gender, ProviderProfile.status
        )
        .where((ProviderProfile.id == profile_id) & (ProviderProfile.tenant == tenant_id))
        .first()
    )
    if row is None or row["name_enc"] is None:
        return None
    name = privacy.unseal(row["name_enc"], field="provider.name", tenant_id=tenant_id)
    avatar = (
        await ProviderMedia.select(ProviderMedia.storage_key)
        .where(
            (ProviderMedia.tenant == tenant_id)
            & (ProviderMedia.provider == profile_id)
            & (ProviderMedia.kind == "avatar")
        )
        .first()
    )
    return {
        "id": profile_id,
        "name": public_name(name, tenant.config.policies.providers.display_name, row["gender"]),
        "avatar_url": signed_url(tenant_id, avatar["storage_key"], now, PUBLIC_TTL)
        if avatar
        else None,
        "public": row["status"] == "active",
    }


def read_expiry(code: str) -> int | None:
    """The code's expiry (unix seconds), for the countdown; None if unreadable."""
    import base64

    try:
        raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
        return int(raw[:-17].decode().rsplit("|", 1)[1])
    except (ValueError, UnicodeDecodeError, IndexError):
        return None


def _byte_range(header: str, size: int) -> tuple[int, int, int] | None:
    """``bytes=a-b`` (one range; what video players ask for), capped at 2 MB per answer."""
    if not header.startswith("bytes=") or "," in header or size == 0:
        return None
    first, _, last = header[6:].strip().partition("-")
    try:
        if first:
            start = int(first)
            end = int(last) if last else size - 1
        else:
            start, end = max(0, size - int(last)), size - 1
    except ValueError:
        return None
    end = min(end, size - 1, start + RANGE_CHUNK - 1)
    if start > end:
        return None
    return start, end, size
