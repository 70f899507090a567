"""The phones' safety pages: the SOS endpoint (never lost to a stale page), the provider's
position reports from the job page, the customer's live view of the provider, answers to
"are you OK?", the raiser's incident status and the emergency contacts page.

``POST /safety/sos`` is left out of the CSRF middleware on purpose: a page that went stale
(session expired, CSRF cookie renewed) must still raise its SOS. It is protected instead by
the page's SOS ticket (``core.safety.ticket``), which a cross-site page cannot read, or by the
session together with a same-origin request.
"""

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
from core.booking.forms import one
from core.booking.service import Actor
from core.booking.states import CUSTOMER, PROVIDER
from core.providers.onboarding import profile_of_user
from core.safety import anomalies, casefile, contacts, service, sos, ticket, trail
from core.tenancy.model import Tenant
from core.tenancy.scoped import tenant_transaction
from core.web.auth import current_user, require_kind
from core.web.templating import render_page
from core.web.tenant import request_tenant


def _private(response: Response[Any]) -> Response[Any]:
    response.headers["cache-control"] = "no-store"
    return response


def _float(value: str) -> float | None:
    try:
        found = float(value)
    except ValueError:
        return None
    return found if found == found else None


def _same_origin(request: Request[Any, Any, Any]) -> bool:
    site = request.headers.get("sec-fetch-site", "")
    if site:
        return site in {"same-origin", "none"}
    origin = request.headers.get("origin", "")
    return not origin or origin.split("://", 1)[-1] == request.headers.get("host", "")


async def _json(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The JSON object sent, or {} for anything else (never a 500)."""
    try:
        body = await request.json()
    except Exception:  # malformed JSON: treated as an empty body
        return {}
    return body if isinstance(body, dict) else {}


async def _raiser_of(
    request: Request[Any, Any, Any], tenant: Tenant, tenant_id: str, given: dict[str, str]
) -> tuple[sos.Raiser, str] | None:
    """Who pressed: the page's ticket first (it outlives sessions), else the session."""
    now = datetime.now(UTC)
    found = ticket.read(tenant.slug, given.get("ticket", ""), now)
    user_id, kind, booking_id = "", "", given.get("booking_id", "")
    if found is not None:
        user_id, kind, booking_id = found.user_id, found.kind, booking_id or found.booking_id
    else:
        user = current_user(request)
        if user is None or user.kind not in {"customer", "provider"} or not _same_origin(request):
            return None
        user_id, kind = user.id, user.kind
    if kind == "provider":
        profile = await profile_of_user(user_id, tenant_id)
        if profile is not None:
            return sos.Raiser(user_id, PROVIDER, str(profile["id"])), booking_id
    return sos.Raiser(user_id, CUSTOMER), booking_id


class SosPage(Controller):
    path = "/safety/sos"
    include_in_schema = False
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @post("/", status_code=200)
    async def sos(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        """The SOS button's target, from a form or from the page's script (JSON answer)."""
        tenant_id = await tenant_id_of(tenant)
        wants_json = "application/json" in request.headers.get("accept", "")
        if request.headers.get("content-type", "").startswith("application/json"):
            body = await _json(request)
            given = {k: str(v) for k, v in body.items()}
        else:
            form = await request.form()
            given = {k: one(form, k) for k in ("ticket", "booking_id", "lat", "lng", "client_key")}
        found = await _raiser_of(request, tenant, tenant_id, given)
        emergency = tenant.config.policies.safety.emergency_number
        if found is None:
            detail = f"we could not tell who you are: call {emergency} now"
            if wants_json:
                return Response(
                    {"status_code": 401, "detail": detail, "emergency": emergency}, status_code=401
                )
            return render_page(request, tenant, "safety/sos_sent.html", {"incident": None}, 401)
        raiser, booking_id = found
        lat, lng = _float(given.get("lat", "")), _float(given.get("lng", ""))
        async with tenant_transaction(tenant_id):
            incident_id = await sos.raise_sos(
                request.app.state.doorstep.plugins,
                tenant,
                tenant_id,
                raiser,
                booking_id=booking_id or None,
                position=(lat, lng) if lat is not None and lng is not None else None,
                client_key=given.get("client_key", ""),
            )
        if wants_json:
            return _private(
                Response(
                    {
                        "incidentId": incident_id,
                        "status": "open",
                        "page": f"/safety/incidents/{incident_id}",
                    },
                    status_code=201,
                )
            )
        incident = await casefile.load(tenant_id, incident_id)
        return _private(
            render_page(request, tenant, "safety/sos_sent.html", {"incident": incident})
        )


class SafetyPages(Controller):
    path = "/safety"
    include_in_schema = False
    guards = [require_kind("customer", "provider")]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/incidents/{incident_id:uuid}")
    async def incident(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        incident_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """What became of your SOS (refreshes itself until someone took it on)."""
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        try:
            incident = await casefile.load(tenant_id, str(incident_id))
        except LookupError:
            raise NotFoundException() from None
        if not casefile.visible_to_raiser(incident, user.id):
            raise NotFoundException()
        return _private(
            render_page(request, tenant, "safety/sos_sent.html", {"incident": incident})
        )

    @post("/jobs/{booking_id:uuid}/positions", status_code=201)
    async def position(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """The job page's script reports the phone's position (JSON ``{lat, lng, accuracy}``)."""
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        profile = await profile_of_user(user.id, tenant_id)
        if profile is None:
            raise NotFoundException()
        body = await _json(request)
        lat, lng = _float(str(body.get("lat", ""))), _float(str(body.get("lng", "")))
        if lat is None or lng is None:
            return Response(
                {"status_code": 400, "detail": "lat, lng: numbers are required"}, status_code=400
            )
        try:
            await trail.report_position(
                tenant,
                tenant_id,
                str(booking_id),
                Actor(PROVIDER, user.id, str(profile["id"])),
                lat,
                lng,
                accuracy_m=_float(str(body.get("accuracy", 0))) or 0,
            )
        except LookupError:
            raise NotFoundException() from None
        except trail.PositionRefused as exc:
            detail = "; ".join(f"{p.field}: {p.reason}" for p in exc.problems)
            return Response(
                {"status_code": exc.status_code, "detail": detail}, status_code=exc.status_code
            )
        checks = await anomalies.open_checks(tenant_id, user.id, str(booking_id))
        return _private(
            Response(
                {"checks": [{"id": str(c["id"]), "anomaly": c["anomaly"]} for c in checks]},
                status_code=201,
            )
        )

    @get("/jobs/{booking_id:uuid}/position")
    async def live(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """The customer's page polls this: the provider's distance and ETA (audited read)."""
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        try:
            found = await trail.live_position(
                tenant, tenant_id, str(booking_id), Actor(CUSTOMER, user.id)
            )
        except LookupError:
            raise NotFoundException() from None
        html = render_page(request, tenant, "safety/_live_position.html", {"live": found}).content
        payload = {
            "status": found.status,
            "html": html,
            "active": found.status in {"accepted", *trail.TRAIL_STATES},
        }
        return _private(Response(payload, media_type="application/json"))

    @get("/checks/{check_id:uuid}")
    async def check(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        check_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """The "are you OK?" the message links to: answer it, or press SOS."""
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        try:
            check = await anomalies.check_of(tenant_id, str(check_id), user.id)
        except LookupError:
            raise NotFoundException() from None
        context = {"check": check, "b": {"id": str(check["booking"])}}
        return _private(render_page(request, tenant, "safety/check.html", context))

    @post("/checks/{check_id:uuid}/answer")
    async def answer(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        check_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        form = await request.form()
        try:
            incident_id = await anomalies.answer_check(
                request.app.state.doorstep.plugins,
                tenant,
                tenant_id,
                str(check_id),
                user.id,
                one(form, "answer"),
            )
        except LookupError:
            raise NotFoundException() from None
        except service.IncidentError as exc:
            return Response({"status_code": 400, "detail": exc.reason}, status_code=400)
        if incident_id:
            return Redirect(path=f"/safety/incidents/{incident_id}", status_code=303)
        back = one(form, "next")
        return Redirect(
            path=back if back.startswith(("/provider/", "/safety/checks/")) else "/provider/jobs",
            status_code=303,
        )

    @get("/contacts")
    async def contacts_page(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        return await self._contacts(request, tenant)

    async def _contacts(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        problem: service.IncidentError | None = None,
        values: dict[str, str] | None = None,
    ) -> Response[Any]:
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        found = await contacts.list_contacts(tenant_id, user.id)
        context = {
            "contacts": found,
            "problem": problem,
            "values": values or {},
            "max_contacts": contacts.MAX_CONTACTS,
            "saved": request.query_params.get("saved", "") in {"added", "removed"}
            and request.query_params.get("saved"),
        }
        status = problem.status_code if problem else 200
        return _private(render_page(request, tenant, "safety/contacts.html", context, status))

    @post("/contacts")
    async def add(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        form = await request.form()
        values = {k: one(form, k) for k in ("name", "phone", "relation")}
        try:
            await contacts.add_contact(
                tenant_id, user.id, values["name"], values["phone"], values["relation"]
            )
        except service.IncidentError as exc:
            return await self._contacts(request, tenant, exc, values)
        return Redirect(path="/safety/contacts?saved=added", status_code=303)

    @post("/contacts/{contact_id:uuid}/delete")
    async def remove(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        contact_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        try:
            await contacts.remove_contact(tenant_id, user.id, str(contact_id))
        except LookupError:
            raise NotFoundException() from None
        return Redirect(path="/safety/contacts?saved=removed", status_code=303)
