"""Quality pages for people: the complaint form on a booking (with photos), the booking's chat,
a complaint's status with accept/reopen (customers) or the statement (providers), the provider's
own quality score, and the tenant's public quality page. Thin: the services decide."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect

from core.accounts.forms import signed_in_user, tenant_id_of
from core.booking import lists, views
from core.booking.forms import one
from core.booking.service import Actor
from core.providers.media import Upload
from core.quality import api as quality_api
from core.quality import ladder, outcomes, public, service, thread
from core.quality.rules import CATEGORIES, QualityError
from core.tenancy.model import Tenant
from core.web.auth import require_kind
from core.web.templating import render_page
from core.web.tenant import request_locale, request_tenant

DONE = ("filed", "accepted", "reopened", "sent", "appealed")


def _private(response: Response[Any]) -> Response[Any]:
    response.headers["cache-control"] = "no-store"
    return response


async def _actors(request: Request[Any, Any, Any], tenant_id: str) -> list[Actor]:
    return await views.actors_of(signed_in_user(request), tenant_id)


async def _uploads(form: Any) -> list[Upload]:
    found = []
    for item in form.getall("photos", []):
        if isinstance(item, UploadFile) and item.filename:
            found.append(Upload(await item.read(), item.content_type or "", item.filename))
    return found


class ComplaintPages(Controller):
    """Customers and providers (a provider sees complaints about their jobs, never who)."""

    include_in_schema = False
    guards = [require_kind("customer", "provider")]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    async def _booking_actor(
        self, request: Request[Any, Any, Any], tenant_id: str, booking_id: uuid.UUID
    ) -> Actor:
        try:
            view = await views.view_booking(
                request_tenant(request),
                tenant_id,
                str(booking_id),
                await _actors(request, tenant_id),
            )
        except KeyError:
            raise
        except LookupError:
            raise NotFoundException() from None
        return next(a for a in await _actors(request, tenant_id) if a.role == view.role)

    @get("/bookings/{booking_id:uuid}/complaint")
    async def form(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        actor = await self._booking_actor(request, tenant_id, booking_id)
        if actor.role != "customer":
            raise NotFoundException()
        context: dict[str, Any] = {
            "booking_id": str(booking_id),
            "categories": CATEGORIES,
            "values": {},
            "problem": None,
        }
        return _private(render_page(request, tenant, "quality/complain.html", context))

    @post("/bookings/{booking_id:uuid}/complaint")
    async def file(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        actor = await self._booking_actor(request, tenant_id, booking_id)
        if actor.role != "customer":
            raise NotFoundException()
        form = await request.form()
        try:
            cid = await service.create_complaint(
                tenant,
                tenant_id,
                service.evidence_store(request.app.state.doorstep.settings.var_dir),
                str(booking_id),
                actor,
                category=one(form, "category"),
                description=one(form, "description"),
                channel="chat" if one(form, "channel") == "chat" else "booking_page",
                photos=await _uploads(form),
            )
        except QualityError as exc:
            context = {
                "booking_id": str(booking_id),
                "categories": CATEGORIES,
                "values": {
                    "category": one(form, "category"),
                    "description": one(form, "description"),
                },
                "problem": exc,
            }
            return _private(
                render_page(request, tenant, "quality/complain.html", context, exc.status_code)
            )
        return Redirect(path=f"/complaints/{cid}?done=filed", status_code=303)

    @get("/bookings/{booking_id:uuid}/chat")
    async def chat(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        actor = await self._booking_actor(request, tenant_id, booking_id)
        messages = await thread.thread_of(tenant_id, str(booking_id), actor)
        context = {
            "booking_id": str(booking_id),
            "messages": messages,
            "role": actor.role,
            "problem": None,
        }
        return _private(render_page(request, tenant, "quality/chat.html", context))

    @post("/bookings/{booking_id:uuid}/chat")
    async def say(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        actor = await self._booking_actor(request, tenant_id, booking_id)
        form = await request.form()
        try:
            await thread.post_message(tenant_id, str(booking_id), actor, one(form, "text"))
        except QualityError as exc:
            messages = await thread.thread_of(tenant_id, str(booking_id), actor)
            context = {
                "booking_id": str(booking_id),
                "messages": messages,
                "role": actor.role,
                "problem": exc,
            }
            return _private(
                render_page(request, tenant, "quality/chat.html", context, exc.status_code)
            )
        return Redirect(path=f"/bookings/{booking_id}/chat", status_code=303)

    @get("/complaints/")
    async def mine(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        found = []
        for actor in await _actors(request, tenant_id):
            found += await service.list_complaints(tenant, tenant_id, actor)
        return _private(render_page(request, tenant, "quality/mine.html", {"complaints": found}))

    async def _complaint(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        tenant_id: str,
        complaint_id: uuid.UUID,
    ) -> tuple[service.ComplaintView, Actor]:
        for actor in await _actors(request, tenant_id):
            try:
                return await service.get_complaint(
                    tenant, tenant_id, str(complaint_id), actor
                ), actor
            except KeyError:
                raise
            except LookupError:
                continue
        raise NotFoundException()

    async def _page(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        tenant_id: str,
        complaint_id: uuid.UUID,
        *,
        done: str = "",
        problem: QualityError | None = None,
    ) -> Response[Any]:
        view, actor = await self._complaint(request, tenant, tenant_id, complaint_id)
        messages = await thread.thread_of(tenant_id, view.booking_id, actor)
        context = {
            "c": view,
            "messages": messages,
            "done": done if done in DONE else "",
            "problem": problem,
            "now": datetime.now(UTC),
        }
        status = problem.status_code if problem else 200
        return _private(render_page(request, tenant, "quality/complaint.html", context, status))

    @get("/complaints/{complaint_id:uuid}")
    async def complaint(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        complaint_id: FromPath[uuid.UUID],
        done: FromQuery[str | None] = None,
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        return await self._page(request, tenant, tenant_id, complaint_id, done=done or "")

    @post("/complaints/{complaint_id:uuid}/{action:str}")
    async def act(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        complaint_id: FromPath[uuid.UUID],
        action: FromPath[str],
    ) -> Response[Any]:
        """``accept`` or ``reopen`` (the customer), ``statement`` (the provider)."""
        tenant_id = await tenant_id_of(tenant)
        view, actor = await self._complaint(request, tenant, tenant_id, complaint_id)
        form = await request.form()
        try:
            if action == "accept" and view.role == "customer":
                await outcomes.accept(tenant, tenant_id, view.id, actor.user_id or "")
                done = "accepted"
            elif action == "reopen" and view.role == "customer":
                await outcomes.reopen(
                    tenant, tenant_id, view.id, actor.user_id or "", one(form, "reason")
                )
                done = "reopened"
            elif action == "statement" and view.role == "provider":
                await service.respond(
                    tenant_id, view.id, actor, one(form, "text"), kind="statement"
                )
                done = "sent"
            else:
                raise NotFoundException()
        except QualityError as exc:
            return await self._page(request, tenant, tenant_id, complaint_id, problem=exc)
        return Redirect(path=f"/complaints/{complaint_id}?done={done}", status_code=303)

    @get("/complaints/{complaint_id:uuid}/evidence/{evidence_id:uuid}")
    async def evidence(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        complaint_id: FromPath[uuid.UUID],
        evidence_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        return await evidence_file(
            request, tenant_id, complaint_id, evidence_id, await _actors(request, tenant_id)
        )


async def evidence_file(
    request: Request[Any, Any, Any],
    tenant_id: str,
    complaint_id: uuid.UUID,
    evidence_id: uuid.UUID,
    actors: list[Actor],
) -> Response[Any]:
    """A complaint photo, for someone who may see the complaint (never cached by others)."""
    for actor in actors:
        try:
            key = await service.evidence_key(tenant_id, str(complaint_id), str(evidence_id), actor)
        except KeyError:
            raise
        except LookupError:
            continue
        path = service.evidence_store(request.app.state.doorstep.settings.var_dir).path(
            tenant_id, key
        )
        if not path.is_file():
            break
        response = File(
            path=path,
            content_disposition_type="inline",
            media_type="image/jpeg" if key.endswith(".jpg") else "image/webp",
        )
        response.headers["cache-control"] = "private, no-store"
        return response
    raise NotFoundException()


class ProviderQualityPages(Controller):
    path = "/provider/quality"
    include_in_schema = False
    guards = [require_kind("provider")]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    async def _provider(self, request: Request[Any, Any, Any], tenant_id: str) -> Actor:
        found = next((a for a in await _actors(request, tenant_id) if a.provider_id), None)
        if found is None:
            raise NotFoundException()
        return found

    async def _page(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        *,
        done: str = "",
        problem: QualityError | None = None,
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        actor = await self._provider(request, tenant_id)
        quality = await quality_api.my_quality(tenant_id, actor.provider_id or "")
        complaints = await service.list_complaints(tenant, tenant_id, actor)
        context = {
            "q": quality,
            "complaints": complaints,
            "done": done if done in DONE else "",
            "problem": problem,
        }
        status = problem.status_code if problem else 200
        return _private(render_page(request, tenant, "quality/provider.html", context, status))

    @get("/")
    async def mine(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        done: FromQuery[str | None] = None,
    ) -> Response[Any]:
        return await self._page(request, tenant, done=done or "")

    @post("/steps/{sanction_id:uuid}/appeal")
    async def appeal(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        sanction_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        actor = await self._provider(request, tenant_id)
        form = await request.form()
        try:
            await ladder.appeal(
                tenant_id, str(sanction_id), actor.provider_id or "", one(form, "text")
            )
        except KeyError:
            raise
        except LookupError:
            raise NotFoundException() from None
        except QualityError as exc:
            return await self._page(request, tenant, problem=exc)
        return Redirect(path="/provider/quality/?done=appealed", status_code=303)


class PublicQualityPages(Controller):
    path = "/quality"
    include_in_schema = False
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/")
    async def page(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        """The tenant's quality in figures, refreshed daily, only where enough bookings stand
        behind a figure that no single customer can be picked out."""
        tenant_id = await tenant_id_of(tenant)
        day, rows = await public.latest(tenant_id)
        ids = [r["key"] for r in rows if r["scope"] == "provider"]
        cards = await lists.provider_cards(tenant, tenant_id, ids, datetime.now(UTC)) if ids else {}
        context = {
            "day": day,
            "verticals": [r for r in rows if r["scope"] == "vertical"],
            "providers": [
                (r, cards[r["key"]]) for r in rows if r["scope"] == "provider" and r["key"] in cards
            ],
            "min_sample": tenant.config.policies.quality.public_min_sample,
            "labels": request.app.state.doorstep.plugins.vertical_labels(
                tenant, request_locale(request, tenant)
            ),
        }
        return render_page(request, tenant, "quality/public.html", context)
