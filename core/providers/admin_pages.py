"""The tenant admin's provider review: the queue, one provider's file, and the decisions
(certificates, the police filing, the provider), each rejection with a reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery

from core.accounts.forms import form_of, signed_in_user, tenant_id_of
from core.privacy.service import Reader
from core.providers.web import go, not_found, text, verifiers_of
from core.tenancy.model import Tenant
from core.verification import approval, identity, proofs, review
from core.verification.certificates import CERTIFICATE_TYPES
from core.verification.service import VerificationError
from core.verification.tables import PoliceFiling
from core.web.admin import render_admin
from core.web.auth import require_roles
from core.web.tenant import request_tenant


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


NOTICES = ("approved", "rejected", "certificate", "police")
DECISIONS = {"approve": True, "reject": False}


class ProviderAdminPages(Controller):
    path = "/admin/providers"
    include_in_schema = False
    guards = [require_roles("admin")]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/")
    async def queue(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        status: FromQuery[str] = "pending_review",
    ) -> Response[Any]:
        if status not in review.QUEUE_STATUSES:
            status = "pending_review"
        entries = await review.review_queue(await tenant_id_of(tenant), status)
        context = {"entries": entries, "status": status, "statuses": review.QUEUE_STATUSES}
        return render_admin(request, tenant, "admin/providers.html", context)

    @get("/{profile_id:str}")
    async def detail(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        profile_id: FromPath[str],
        done: FromQuery[str | None] = None,
    ) -> Response[Any]:
        return await self._file(request, tenant, profile_id, {"done": done or ""})

    async def _file(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        profile_id: str,
        extra: dict[str, Any],
        status_code: int = 200,
    ) -> Response[Any]:
        app_context = request.app.state.doorstep
        tenant_id = await tenant_id_of(tenant)
        now = datetime.now(UTC)
        # Vendors' answers may have arrived since the provider last looked.
        await identity.poll_vendor_checks(tenant, tenant_id, verifiers_of(request, tenant), now)
        try:
            found = await review.provider_file(
                app_context.plugins, tenant, tenant_id, app_context.catalog(tenant), profile_id, now
            )
        except LookupError:
            raise not_found() from None
        catalog = app_context.catalog(tenant)
        context = {
            "f": found,
            "items": {ref: catalog.item(ref) for ref, _ in found.skills},
            "revealed": {},
            "courses": {c.key: c for c in found.checks.requirements.courses},
            "cert_labels": CERTIFICATE_TYPES,
            "errors": {},
            **extra,
        }
        if context.get("done") not in NOTICES:
            context["done"] = ""
        return render_admin(request, tenant, "admin/provider.html", context, status_code)

    @post("/{profile_id:str}/reveal")
    async def reveal(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        profile_id: FromPath[str],
    ) -> Response[Any]:
        """Show one clear number on this page only; the read is logged (who, whose, why)."""
        form = await form_of(request)
        what = text(form, "what")
        actor = signed_in_user(request)
        reader = Reader(actor_id=actor.id, role="admin", purpose="provider review")
        try:
            clear = await review.reveal_for_review(
                await tenant_id_of(tenant), profile_id, what, reader
            )
        except LookupError:
            raise not_found() from None
        return await self._file(request, tenant, profile_id, {"revealed": {what: clear}})

    @post("/{profile_id:str}/certificates/{certificate_id:str}")
    async def decide_certificate(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        profile_id: FromPath[str],
        certificate_id: FromPath[str],
    ) -> Response[Any]:
        form = await form_of(request)
        decision = DECISIONS.get(text(form, "decision"))
        if decision is None or _uuid(profile_id) is None or _uuid(certificate_id) is None:
            raise not_found()
        try:
            await proofs.review_certificate(
                await tenant_id_of(tenant),
                certificate_id,
                approve=decision,
                reason=text(form, "reason"),
                reviewer_id=signed_in_user(request).id,
            )
        except (LookupError, ValueError):
            raise not_found() from None
        except VerificationError as exc:
            errors = {f"certificate:{certificate_id}": (exc.field, exc.reason)}
            return await self._file(request, tenant, profile_id, {"errors": errors}, 400)
        return go(f"/admin/providers/{profile_id}?done=certificate")

    @post("/{profile_id:str}/police")
    async def decide_police_filing(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        profile_id: FromPath[str],
    ) -> Response[Any]:
        form = await form_of(request)
        decision = DECISIONS.get(text(form, "decision"))
        if decision is None or _uuid(profile_id) is None:
            raise not_found()
        tenant_id = await tenant_id_of(tenant)
        wanted = _uuid(profile_id)
        if wanted is None or not await PoliceFiling.exists().where(
            (PoliceFiling.tenant == tenant_id) & (PoliceFiling.provider == wanted)
        ):
            raise not_found()
        try:
            await proofs.review_police_filing(
                tenant, tenant_id, profile_id, approve=decision, reason=text(form, "reason")
            )
        except VerificationError as exc:
            errors = {"police": (exc.field, exc.reason)}
            return await self._file(request, tenant, profile_id, {"errors": errors}, 400)
        return go(f"/admin/providers/{profile_id}?done=police")

    @post("/{profile_id:str}/decision")
    async def decide_provider(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        profile_id: FromPath[str],
    ) -> Response[Any]:
        form = await form_of(request)
        decision = DECISIONS.get(text(form, "decision"))
        if decision is None or _uuid(profile_id) is None:
            raise not_found()
        try:
            await approval.review_provider(
                await tenant_id_of(tenant),
                profile_id,
                approve=decision,
                reason=text(form, "reason"),
            )
        except (LookupError, ValueError):
            raise not_found() from None
        except VerificationError as exc:
            errors = {"provider": (exc.field, exc.reason)}
            return await self._file(request, tenant, profile_id, {"errors": errors}, 400)
        return go(f"/admin/providers/{profile_id}?done={'approved' if decision else 'rejected'}")
