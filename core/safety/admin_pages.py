"""The admin console's safety desk: the live banner feed, the incidents, one incident with
both parties, the positions at the time, the evidence log (and its chain check), the workflow
buttons and the police hand-off packet. Every clear value shown is an audited read under the
emergency basis; exporting the packet is recorded as an emergency disclosure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from core.accounts.forms import signed_in_user, tenant_id_of
from core.booking import service as booking_service
from core.booking.forms import one
from core.db import write_transaction
from core.privacy import service as privacy
from core.safety import casefile, evidence, packet, service
from core.safety.alerts import EMERGENCY_BASIS
from core.safety.tables import Alert, EmergencyDisclosure
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped
from core.web.admin import render_admin
from core.web.auth import require_roles
from core.web.tenant import request_tenant

SAFETY_ROLES = ("safety_officer", "admin")
STEPS = {"acknowledge": "acknowledged", "contact": "in_contact", "resolve": "resolved"}


class SafetyAdminPages(Controller):
    path = "/admin/safety"
    include_in_schema = False
    guards = [require_roles(*SAFETY_ROLES)]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/")
    async def incidents(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        found = await casefile.recent_incidents(tenant_id)
        return render_admin(request, tenant, "safety/incidents.html", {"incidents": found})

    @get("/live")
    async def live(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        """The console banner polls this: incidents nobody has acknowledged yet."""
        tenant_id = await tenant_id_of(tenant)
        waiting = [i for i in await casefile.open_incidents(tenant_id) if i["status"] == "open"]
        body = {
            "count": len(waiting),
            "incidents": [
                {
                    "id": str(i["id"]),
                    "kind": i["kind"],
                    "severity": i["severity"],
                    "role": i["raised_role"],
                    "at": i["created_at"].isoformat(),
                    "level": i["escalation_level"],
                }
                for i in waiting
            ],
        }
        response = Response(body, media_type="application/json")
        response.headers["cache-control"] = "no-store"
        return response

    async def _incident(self, tenant_id: str, incident_id: uuid.UUID) -> dict[str, Any]:
        try:
            return await casefile.load(tenant_id, str(incident_id))
        except LookupError:
            raise NotFoundException() from None

    @get("/{incident_id:uuid}")
    async def incident(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        incident_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        return await self._page(request, tenant, incident_id)

    async def _page(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        incident_id: uuid.UUID,
        problem: service.IncidentError | None = None,
    ) -> Response[Any]:
        staff = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        incident = await self._incident(tenant_id, incident_id)
        reader = casefile.staff_reader(staff.id)
        async with write_transaction():
            snapshot = await casefile.snapshot_for(tenant_id, incident, reader)
            people = await casefile.parties(tenant_id, incident, reader)
        context = {
            "incident": incident,
            "snapshot": snapshot,
            "people": people,
            "entries": await evidence.entries(tenant_id, str(incident_id)),
            "chain": await evidence.verify_chain(tenant_id, str(incident_id)),
            "alerts": list(
                await scoped(Alert, tenant_id)
                .select()
                .where(Alert.incident == incident_id)
                .order_by(Alert.level)
            ),
            "problem": problem,
        }
        return render_admin(
            request,
            tenant,
            "safety/incident.html",
            context,
            problem.status_code if problem else 200,
        )

    @post("/{incident_id:uuid}/{action:str}")
    async def act(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        incident_id: FromPath[uuid.UUID],
        action: FromPath[str],
    ) -> Response[Any]:
        staff = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        await self._incident(tenant_id, incident_id)
        if action not in {*STEPS, "note"}:
            raise NotFoundException()
        note = one(await request.form(), "note")
        try:
            if action == "note":
                await service.add_note(tenant_id, str(incident_id), staff.id, note)
            else:
                await service.advance(
                    tenant_id, str(incident_id), STEPS[action], staff.id, note=note
                )
        except service.IncidentError as exc:
            return await self._page(request, tenant, incident_id, exc)
        return Redirect(path=f"/admin/safety/{incident_id}", status_code=303)

    @get("/{incident_id:uuid}/packet.pdf")
    async def packet(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        incident_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """The police hand-off packet; the export itself is logged (evidence + disclosure)."""
        staff = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        incident = await self._incident(tenant_id, incident_id)
        reader = casefile.staff_reader(staff.id)
        now = datetime.now(UTC)
        booking, address = None, ""
        async with write_transaction():
            snapshot = await casefile.snapshot_for(tenant_id, incident, reader)
            people = await casefile.parties(tenant_id, incident, reader)
            if incident["booking"]:
                booking = await booking_service.load(tenant_id, str(incident["booking"]))
                address = await privacy.reveal(
                    booking["address_enc"],
                    field="booking.address",
                    tenant_id=tenant_id,
                    subject_id=booking["customer"],
                    reader=reader,
                )
            await evidence.append(
                tenant_id,
                str(incident_id),
                "exported",
                {"to": "police hand-off packet"},
                at=now,
                actor=staff.id,
            )
            await scoped(EmergencyDisclosure, tenant_id).insert(
                EmergencyDisclosure(
                    tenant=tenant_id,
                    incident=incident_id,
                    at=now,
                    recipient="police (hand-off packet)",
                    categories="names, phone numbers, address, positions, timeline",
                    basis=EMERGENCY_BASIS,
                    actor=staff.id,
                )
            )
        body = packet.build_packet(
            brand=tenant.name("zh_CN"),
            timezone=tenant.config.timezone,
            incident=await casefile.load(tenant_id, str(incident_id)),
            booking=booking,
            address=address,
            parties=people,
            snapshot=snapshot,
            entries=await evidence.entries(tenant_id, str(incident_id)),
            chain=await evidence.verify_chain(tenant_id, str(incident_id)),
            exported_by=staff.id,
            now=now,
        )
        return Response(
            body,
            media_type="application/pdf",
            headers={
                "content-disposition": f'attachment; filename="incident-{incident_id.hex[:8]}.pdf"',
                "cache-control": "no-store",
            },
        )
