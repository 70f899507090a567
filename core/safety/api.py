"""Safety API v1: positions from the provider's app, the customer's live view, SOS, and the
incident workflow for safety officers. Thin: the rules live in ``trail``, ``service`` and
``anomalies``. An SOS is never refused for the state of a job or the caller's role."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException
from litestar.params import FromPath, JSONBody

from core.booking.api_support import REFUSALS, BookingContext, booking_context
from core.booking.states import CUSTOMER, PROVIDER, STAFF
from core.catalog.api import request_problems
from core.catalog.schemas_api import ProblemOut, ProblemsOut
from core.safety import anomalies, casefile, evidence, service, sos, trail
from core.safety.schemas import (
    CheckOut,
    EvidenceOut,
    IncidentOut,
    LivePositionOut,
    NoteIn,
    PositionIn,
    PositionOut,
    SosIn,
    SosOut,
)
from core.web.auth import signed_in

SAFETY_ROLES = ("safety_officer", "admin")


def _problem(field: str, reason: str, status: int) -> Response[ProblemsOut]:
    return Response(
        ProblemsOut(
            status_code=status,
            detail=f"{field}: {reason}",
            problems=[ProblemOut(field=field, reason=reason)],
        ),
        status_code=status,
    )


def _refused(exc: trail.PositionRefused) -> Response[ProblemsOut]:
    found = [ProblemOut(field=p.field, reason=p.reason) for p in exc.problems]
    return Response(
        ProblemsOut(
            status_code=exc.status_code,
            detail="; ".join(f"{p.field}: {p.reason}" for p in found),
            problems=found,
        ),
        status_code=exc.status_code,
    )


def incident_out(
    incident: dict[str, Any],
    check: evidence.ChainCheck | None = None,
    entries: list[evidence.Entry] | None = None,
) -> IncidentOut:
    return IncidentOut(
        id=str(incident["id"]),
        kind=incident["kind"],
        severity=incident["severity"],
        status=incident["status"],
        raised_role=incident["raised_role"],
        booking_id=str(incident["booking"]) if incident["booking"] else None,
        escalation_level=int(incident["escalation_level"]),
        created_at=incident["created_at"],
        acknowledged_at=incident["acknowledged_at"],
        resolved_at=incident["resolved_at"],
        chain_intact=check.intact if check else None,
        evidence=[
            EvidenceOut(seq=e.seq, at=e.at, kind=e.kind, body=e.body, hash=e.hash)
            for e in entries or []
        ],
    )


class SafetyApi(Controller):
    path = "/api/v1"
    tags = ["safety"]
    guards = [signed_in]
    dependencies = {"ctx": Provide(booking_context)}
    exception_handlers = {ClientException: request_problems}

    @post(
        "/jobs/{booking_id:uuid}/positions",
        operation_id="reportPosition",
        summary="The provider's phone reports where it is (en route or on site only)",
        status_code=201,
        responses=REFUSALS,
    )
    async def report_position(
        self,
        ctx: NamedDependency[BookingContext],
        booking_id: FromPath[uuid.UUID],
        data: JSONBody[PositionIn],
    ) -> Response[Any]:
        """Only the job's own provider, only while the job is en route, arrived or in
        progress; absurd coordinates or a time far from now are refused (400 naming the
        field). The answer lists any "are you OK?" waiting for you on this job."""
        actor = next((a for a in await ctx.actors() if a.role == PROVIDER), None)
        if actor is None:
            raise NotFoundException()
        try:
            await trail.report_position(
                ctx.tenant,
                ctx.tenant_id,
                str(booking_id),
                actor,
                data.lat,
                data.lng,
                taken_at=data.at,
                accuracy_m=data.accuracy_m,
            )
        except trail.PositionRefused as exc:
            return _refused(exc)
        except LookupError:
            raise NotFoundException() from None
        checks = await anomalies.open_checks(ctx.tenant_id, ctx.user.id, str(booking_id))
        return Response(
            PositionOut(
                accepted=True,
                checks=[CheckOut(id=str(c["id"]), anomaly=c["anomaly"]) for c in checks],
            ),
            status_code=201,
        )

    @get(
        "/jobs/{booking_id:uuid}/position",
        operation_id="getJobPosition",
        summary="The provider's live position and ETA, for the job's customer",
        responses=REFUSALS,
    )
    async def job_position(
        self, ctx: NamedDependency[BookingContext], booking_id: FromPath[uuid.UUID]
    ) -> LivePositionOut:
        """Only the booking's customer, only while the job is en route or on site (otherwise
        no position). Each read is recorded in the personal-data read log."""
        actor = next((a for a in await ctx.actors() if a.role == CUSTOMER), None)
        if actor is None:
            raise NotFoundException()
        try:
            live = await trail.live_position(ctx.tenant, ctx.tenant_id, str(booking_id), actor)
        except LookupError:
            raise NotFoundException() from None
        if live.fix is None:
            return LivePositionOut(status=live.status)
        return LivePositionOut(
            status=live.status,
            lat=live.fix.lat,
            lng=live.fix.lng,
            at=live.fix.at,
            distance_m=round(live.distance_m or 0),
            eta_minutes=live.eta_minutes,
        )

    @post(
        "/sos",
        operation_id="raiseSos",
        summary="Raise an SOS: alerts the safety officers and your emergency contacts",
        status_code=201,
    )
    async def raise_sos(
        self, ctx: NamedDependency[BookingContext], data: JSONBody[SosIn]
    ) -> SosOut:
        """Accepted from any customer or provider, whatever the state of the job named (a job
        that is not yours is left out, a bad position dropped). Send a ``clientKey`` made once
        per press and retry until answered: the same key is the same incident."""
        raiser = await _raiser(ctx)
        position = (data.lat, data.lng) if data.lat is not None and data.lng is not None else None
        incident_id = await sos.raise_sos(
            ctx.plugins,
            ctx.tenant,
            ctx.tenant_id,
            raiser,
            booking_id=data.booking_id,
            position=position,
            client_key=data.client_key,
        )
        return SosOut(incident_id=incident_id, status="open")

    @get(
        "/incidents/{incident_id:uuid}",
        operation_id="getIncident",
        summary="An incident: its state; for safety officers also the evidence log",
        responses=REFUSALS,
    )
    async def get_incident(
        self, ctx: NamedDependency[BookingContext], incident_id: FromPath[uuid.UUID]
    ) -> IncidentOut:
        """Safety officers (and admins) see every incident with its evidence and chain check;
        the person who raised it sees its state only; anyone else gets 404."""
        try:
            incident = await casefile.load(ctx.tenant_id, str(incident_id))
        except LookupError:
            raise NotFoundException() from None
        if ctx.user.is_staff and ctx.user.has_role(*SAFETY_ROLES):
            check = await evidence.verify_chain(ctx.tenant_id, str(incident_id))
            return incident_out(
                incident, check, await evidence.entries(ctx.tenant_id, str(incident_id))
            )
        if not casefile.visible_to_raiser(incident, ctx.user.id):
            raise NotFoundException()
        return incident_out(incident)

    async def _advance(
        self, ctx: BookingContext, incident_id: uuid.UUID, target: str, note: str
    ) -> Response[Any]:
        if not (ctx.user.is_staff and ctx.user.has_role(*SAFETY_ROLES)):
            if ctx.user.is_staff:
                raise PermissionDeniedException("only safety officers work incidents")
            raise NotFoundException()
        try:
            await service.advance(ctx.tenant_id, str(incident_id), target, ctx.user.id, note=note)
        except LookupError:
            raise NotFoundException() from None
        except service.IncidentError as exc:
            return _problem(exc.field, exc.reason, exc.status_code)
        return Response(incident_out(await casefile.load(ctx.tenant_id, str(incident_id))))

    @post(
        "/incidents/{incident_id:uuid}/acknowledge",
        operation_id="acknowledgeIncident",
        summary="A safety officer takes the incident on (stops the escalation)",
        status_code=200,
        responses=REFUSALS,
    )
    async def acknowledge(
        self,
        ctx: NamedDependency[BookingContext],
        incident_id: FromPath[uuid.UUID],
        data: JSONBody[NoteIn],
    ) -> Response[Any]:
        """Send ``{}`` or ``{"note": ...}``."""
        return await self._advance(ctx, incident_id, "acknowledged", data.note)

    @post(
        "/incidents/{incident_id:uuid}/contact",
        operation_id="recordIncidentContact",
        summary="The safety officer is in contact with the person",
        status_code=200,
        responses=REFUSALS,
    )
    async def in_contact(
        self,
        ctx: NamedDependency[BookingContext],
        incident_id: FromPath[uuid.UUID],
        data: JSONBody[NoteIn],
    ) -> Response[Any]:
        return await self._advance(ctx, incident_id, "in_contact", data.note)

    @post(
        "/incidents/{incident_id:uuid}/resolve",
        operation_id="resolveIncident",
        summary="Close the incident with a note of how it was resolved",
        status_code=200,
        responses=REFUSALS,
    )
    async def resolve(
        self,
        ctx: NamedDependency[BookingContext],
        incident_id: FromPath[uuid.UUID],
        data: JSONBody[NoteIn],
    ) -> Response[Any]:
        return await self._advance(ctx, incident_id, "resolved", data.note)


async def _raiser(ctx: BookingContext) -> sos.Raiser:
    user = ctx.user
    if user.is_staff:
        return sos.Raiser(user.id, STAFF)
    from core.providers.onboarding import profile_of_user

    if user.kind == "provider":
        found = await profile_of_user(user.id, ctx.tenant_id)
        if found is not None:
            return sos.Raiser(user.id, PROVIDER, str(found["id"]))
    return sos.Raiser(user.id, CUSTOMER)
