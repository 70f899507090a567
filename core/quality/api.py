"""Quality API v1: complaints (create, read, list, answer, resolve, accept, reopen), penalty
appeals and their decision, and a provider's own quality score. Thin: the rules are in the
services. Refusals are 4xx naming the field; another tenant's or person's object is a 404."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery, JSONBody

from core.accounts.forms import tenant_id_of
from core.booking import views
from core.booking.service import Actor
from core.booking.states import STAFF
from core.catalog.api import request_problems
from core.catalog.schemas_api import ProblemOut, ProblemsOut
from core.providers.media import Upload
from core.quality import ladder, outcomes, service, spotchecks, thread
from core.quality.rules import QualityError, clock
from core.quality.schemas import (
    AppealIn,
    ClockOut,
    ComplaintDetailOut,
    ComplaintOut,
    CreateComplaintIn,
    CreatedOut,
    DecisionIn,
    MessageIn,
    MessageOut,
    QualityOut,
    ReasonIn,
    ResolveIn,
    StepOut,
)
from core.quality.score import score_of
from core.tenancy.model import Tenant
from core.web.auth import current_user, signed_in
from core.web.tenant import request_tenant

COMPLAINT_STAFF = ("admin", "support")
"""Staff who handle complaints and appeals."""
WIRE = {
    "booking": "bookingId",
    "refund_fen": "refundFen",
    "compensation_fen": "compensationFen",
    "reservice_at": "reserviceAt",
    "reservice_provider": "reserviceProvider",
}


def refusal(exc: QualityError) -> Response[ProblemsOut]:
    name = WIRE.get(exc.field, exc.field)
    return Response(
        ProblemsOut(
            status_code=exc.status_code,
            detail=f"{name}: {exc.reason}",
            problems=[ProblemOut(field=name, reason=exc.reason)],
        ),
        status_code=exc.status_code,
    )


def _refusal_handler(_: Request[Any, Any, Any], exc: QualityError) -> Response[ProblemsOut]:
    return refusal(exc)


async def actors(request: Request[Any, Any, Any], tenant_id: str) -> list[Actor]:
    """Complaint staff; or the provider and customer the user is."""
    user = current_user(request)
    assert user is not None
    if user.is_staff:
        return [Actor(STAFF, user.id)] if user.has_role(*COMPLAINT_STAFF) else []
    return await views.actors_of(user, tenant_id)


def complaint_out(view: service.ComplaintView, now: datetime) -> ComplaintOut:
    return ComplaintOut(
        id=view.id,
        booking_id=view.booking_id,
        category=view.category,
        channel=view.channel,
        status=view.status,
        description=view.description,
        reply=view.reply,
        first_response=ClockOut(
            due=view.first_response_due,
            done_at=view.first_response_at,
            state=clock(view.first_response_due, view.first_response_at, now),
        ),
        resolution=ClockOut(
            due=view.resolution_due,
            done_at=view.resolved_at,
            state=clock(view.resolution_due, view.resolved_at, now),
        ),
        upheld=view.upheld,
        outcomes=view.outcomes,
        reservice_booking_id=view.reservice_booking_id,
        refund_fen=view.refund_fen,
        compensation_fen=view.compensation_fen,
        money_status=view.money_status,
        reopened=view.reopened,
        evidence_ids=[str(e["id"]) for e in view.evidence],
        can_decide=view.can_decide,
        created_at=view.created_at,
    )


class QualityContext:
    def __init__(self, request: Request[Any, Any, Any], tenant: Tenant, tenant_id: str) -> None:
        self.request, self.tenant, self.tenant_id = request, tenant, tenant_id
        self.app_context = request.app.state.doorstep

    async def actors(self) -> list[Actor]:
        found = await actors(self.request, self.tenant_id)
        if not found:
            raise PermissionDeniedException("your role does not work with complaints")
        return found

    async def view(self, complaint_id: uuid.UUID) -> tuple[service.ComplaintView, Actor]:
        for actor in await self.actors():
            try:
                found = await service.get_complaint(
                    self.tenant, self.tenant_id, str(complaint_id), actor
                )
            except KeyError:
                raise
            except LookupError:
                continue
            return found, actor
        raise NotFoundException()

    async def staff(self) -> Actor:
        actor = (await self.actors())[0]
        if actor.role != STAFF:
            raise PermissionDeniedException("only support staff may do this")
        return actor


async def quality_context(request: Request[Any, Any, Any]) -> QualityContext:
    tenant = request_tenant(request)
    return QualityContext(request, tenant, await tenant_id_of(tenant))


def _photos(given: list[str]) -> list[Upload]:
    found = []
    for n, text in enumerate(given):
        try:
            found.append(Upload(base64.b64decode(text, validate=True)))
        except (binascii.Error, ValueError):
            raise QualityError(f"photos[{n}]", "not base64-encoded") from None
    return found


class QualityApi(Controller):
    path = "/api/v1"
    tags = ["quality"]
    guards = [signed_in]
    dependencies = {
        "tenant": Provide(request_tenant, sync_to_thread=False),
        "ctx": Provide(quality_context),
    }
    exception_handlers = {ClientException: request_problems, QualityError: _refusal_handler}

    @post("/complaints", operation_id="createComplaint", summary="Complain about a booking")
    async def create_complaint(
        self, ctx: NamedDependency[QualityContext], data: JSONBody[CreateComplaintIn]
    ) -> CreatedOut:
        """The booking's customer (``booking_page`` or ``chat``) or support (``hotline``). One
        complaint per booking: a second is 409 (reopen the first)."""
        actor = (await ctx.actors())[-1] if data.channel != "hotline" else await ctx.staff()
        try:
            booking = str(uuid.UUID(data.booking_id))
        except ValueError:
            raise NotFoundException() from None
        try:
            cid = await service.create_complaint(
                ctx.tenant,
                ctx.tenant_id,
                service.evidence_store(ctx.app_context.settings.var_dir),
                booking,
                actor,
                category=data.category,
                description=data.description,
                channel=data.channel,
                photos=_photos(data.photos),
            )
        except KeyError:
            raise
        except LookupError:
            raise NotFoundException() from None
        return CreatedOut(id=cid)

    @get("/complaints", operation_id="listComplaints", summary="Your complaints")
    async def list_complaints(
        self, ctx: NamedDependency[QualityContext], status: FromQuery[str | None] = None
    ) -> list[ComplaintOut]:
        """A customer's own, those about a provider, or every complaint for support staff
        (the most urgent deadline first)."""
        now = datetime.now(UTC)
        actor = (await ctx.actors())[0]
        found = await service.list_complaints(ctx.tenant, ctx.tenant_id, actor, status=status)
        return [complaint_out(v, now) for v in found]

    @get("/complaints/{complaint_id:uuid}", operation_id="getComplaint", summary="A complaint")
    async def get_complaint(
        self, ctx: NamedDependency[QualityContext], complaint_id: FromPath[uuid.UUID]
    ) -> ComplaintDetailOut:
        """With its clocks, outcome and the booking's thread (authors by role only)."""
        view, actor = await ctx.view(complaint_id)
        messages = await thread.thread_of(ctx.tenant_id, view.booking_id, actor)
        base = complaint_out(view, datetime.now(UTC))
        return ComplaintDetailOut(
            **{f: getattr(base, f) for f in base.__struct_fields__},
            thread=[
                MessageOut(
                    author_role=m.author_role, kind=m.kind, body=m.body, at=m.at, mine=m.mine
                )
                for m in messages
            ],
        )

    @post(
        "/complaints/{complaint_id:uuid}/messages",
        operation_id="respondComplaint",
        summary="Reply, add a staff note, or give the provider's statement",
        status_code=201,
    )
    async def respond(
        self,
        ctx: NamedDependency[QualityContext],
        complaint_id: FromPath[uuid.UUID],
        data: JSONBody[MessageIn],
    ) -> None:
        _, actor = await ctx.view(complaint_id)
        await service.respond(ctx.tenant_id, str(complaint_id), actor, data.text, kind=data.kind)

    @post(
        "/complaints/{complaint_id:uuid}/resolve",
        operation_id="resolveComplaint",
        summary="Resolve a complaint",
        status_code=200,
    )
    async def resolve(
        self,
        ctx: NamedDependency[QualityContext],
        complaint_id: FromPath[uuid.UUID],
        data: JSONBody[ResolveIn],
    ) -> ComplaintOut:
        """Support staff: the reply; for an upheld complaint a free re-service, a refund,
        compensation from the provider's deposit and a penalty. Refund and compensation
        together never exceed what was paid."""
        staff = await ctx.staff()
        await ctx.view(complaint_id)
        if data.reservice_at is not None and data.reservice_at.tzinfo is None:
            raise QualityError("reservice_at", "must include a time zone")
        view = await outcomes.resolve(
            ctx.app_context.plugins,
            ctx.tenant,
            ctx.tenant_id,
            ctx.app_context.catalog(ctx.tenant),
            str(complaint_id),
            staff.user_id or "",
            outcomes.Resolution(
                reply=data.reply,
                upheld=data.upheld,
                reservice_at=data.reservice_at,
                reservice_provider=data.reservice_provider,
                refund_fen=data.refund_fen,
                compensation_fen=data.compensation_fen,
                penalty=data.penalty,
            ),
        )
        return complaint_out(view, datetime.now(UTC))

    @post(
        "/complaints/{complaint_id:uuid}/accept",
        operation_id="acceptComplaintOutcome",
        summary="Accept the outcome (the customer)",
        status_code=204,
    )
    async def accept(
        self, ctx: NamedDependency[QualityContext], complaint_id: FromPath[uuid.UUID]
    ) -> None:
        view, actor = await ctx.view(complaint_id)
        if view.role != "customer":
            raise NotFoundException()
        await outcomes.accept(ctx.tenant, ctx.tenant_id, str(complaint_id), actor.user_id or "")

    @post(
        "/complaints/{complaint_id:uuid}/reopen",
        operation_id="reopenComplaint",
        summary="Reopen a resolved complaint (the customer)",
        status_code=204,
    )
    async def reopen(
        self,
        ctx: NamedDependency[QualityContext],
        complaint_id: FromPath[uuid.UUID],
        data: JSONBody[ReasonIn],
    ) -> None:
        view, actor = await ctx.view(complaint_id)
        if view.role != "customer":
            raise NotFoundException()
        await outcomes.reopen(
            ctx.tenant, ctx.tenant_id, str(complaint_id), actor.user_id or "", data.reason
        )

    @post(
        "/sanctions/{sanction_id:uuid}/appeal",
        operation_id="appealPenalty",
        summary="Appeal a penalty step within its window (the provider)",
        status_code=204,
    )
    async def appeal(
        self,
        ctx: NamedDependency[QualityContext],
        sanction_id: FromPath[uuid.UUID],
        data: JSONBody[AppealIn],
    ) -> None:
        provider = next((a for a in await ctx.actors() if a.provider_id), None)
        if provider is None:
            raise NotFoundException()
        try:
            await ladder.appeal(
                ctx.tenant_id, str(sanction_id), provider.provider_id or "", data.text
            )
        except KeyError:
            raise
        except LookupError:
            raise NotFoundException() from None

    @post(
        "/sanctions/{sanction_id:uuid}/decision",
        operation_id="decideAppeal",
        summary="Decide a provider's appeal (support staff)",
        status_code=204,
    )
    async def decide(
        self,
        ctx: NamedDependency[QualityContext],
        sanction_id: FromPath[uuid.UUID],
        data: JSONBody[DecisionIn],
    ) -> None:
        staff = await ctx.staff()
        try:
            await ladder.decide_appeal(
                ctx.tenant_id,
                str(sanction_id),
                staff.user_id or "",
                uphold=data.uphold,
                reason=data.reason,
            )
        except KeyError:
            raise
        except LookupError:
            raise NotFoundException() from None

    @get("/quality/me", operation_id="getMyQuality", summary="Your quality score (providers)")
    async def mine(self, ctx: NamedDependency[QualityContext]) -> QualityOut:
        """The score, how it is made up, every penalty step with the events behind it, and the
        courses to pass again."""
        provider = next((a for a in await ctx.actors() if a.provider_id), None)
        if provider is None:
            raise NotFoundException()
        pid = provider.provider_id or ""
        return await my_quality(ctx.tenant_id, pid)


async def my_quality(tenant_id: str, provider_id: str) -> QualityOut:
    from core.tenancy.scoped import tenant_transaction

    now = datetime.now(UTC)
    async with tenant_transaction(tenant_id):
        found = await score_of(tenant_id, provider_id)
        steps = await ladder.steps_of(tenant_id, provider_id, now)
        courses = await spotchecks.retraining_of(tenant_id, provider_id)
    breakdown = (found or {}).get("breakdown") or {}
    if isinstance(breakdown, str):
        import json

        breakdown = json.loads(breakdown)
    return QualityOut(
        score=float(found["score"]) if found else 0.8,
        excellent=bool(found and found["excellent"]),
        breakdown=breakdown,
        steps=[
            StepOut(
                id=s.id,
                level=s.level,
                points=s.points,
                status=s.status,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                appeal_until=s.appeal_until,
                appeal_decision=s.appeal_decision,
                events=[
                    {
                        "kind": e["kind"],
                        "points": e["points"],
                        "at": e["at"].isoformat(),
                        "detail": e["detail"],
                    }
                    for e in s.events
                ],
                can_appeal=s.can_appeal,
            )
            for s in steps
        ],
        retraining=sorted({c["course"] for c in courses}),
    )
