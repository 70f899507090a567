"""The console's quality pages: the complaints board with its clocks (support), one complaint
with notes, replies and the resolution, hotline logging, appeals, spot-check tasks (quality
inspectors) and the quality dashboard with its charts."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from core.accounts.forms import signed_in_user, tenant_id_of
from core.booking.forms import local_moment, one
from core.booking.service import Actor
from core.booking.states import STAFF
from core.quality import ladder, outcomes, service, spotchecks, thread
from core.quality.pages import evidence_file
from core.quality.rules import CATEGORIES, QualityError, clock
from core.quality.tables import Complaint, PenaltyEvent, Sanction, SpotCheck
from core.tenancy.model import Tenant
from core.web.admin import render_admin
from core.web.auth import require_roles
from core.web.tenant import request_tenant

SUPPORT = ("admin", "support")
INSPECTORS = ("admin", "quality_inspector")


def _fen(value: str) -> int:
    """Yuan typed in a form (``12.50``) as fen; QualityError for anything else."""
    text = value.strip() or "0"
    try:
        yuan, _, cents = text.partition(".")
        if not yuan.isdigit() or (cents and (not cents.isdigit() or len(cents) > 2)):
            raise ValueError
        return int(yuan) * 100 + int((cents or "0").ljust(2, "0"))
    except ValueError:
        raise QualityError("refund_fen", "give an amount in yuan, like 50 or 12.50") from None


class ComplaintConsole(Controller):
    path = "/admin/complaints"
    include_in_schema = False
    guards = [require_roles(*SUPPORT)]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/")
    async def board(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        status: FromQuery[str | None] = None,
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        actor = Actor(STAFF, signed_in_user(request).id)
        chosen = status if status in {"open", "investigating", "resolved", "closed"} else None
        found = await service.list_complaints(tenant, tenant_id, actor, status=chosen)
        context = {
            "complaints": found,
            "status": chosen or "",
            "now": datetime.now(UTC),
            "clock": clock,
        }
        return render_admin(request, tenant, "quality/board.html", context)

    @post("/")
    async def log_call(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        """A hotline call: the booking's id (read to support from the customer's app)."""
        tenant_id = await tenant_id_of(tenant)
        actor = Actor(STAFF, signed_in_user(request).id)
        form = await request.form()
        try:
            booking = str(uuid.UUID(one(form, "booking")))
        except ValueError:
            booking = ""
        try:
            if not booking:
                raise QualityError("booking", "give the booking number")
            cid = await service.create_complaint(
                tenant,
                tenant_id,
                service.evidence_store(request.app.state.doorstep.settings.var_dir),
                booking,
                actor,
                category=one(form, "category"),
                description=one(form, "description"),
                channel="hotline",
            )
        except LookupError:
            exc = QualityError("booking", "no such booking", 404)
            return await self._board_problem(request, tenant, tenant_id, actor, exc)
        except QualityError as exc:
            return await self._board_problem(request, tenant, tenant_id, actor, exc)
        return Redirect(path=f"/admin/complaints/{cid}", status_code=303)

    async def _board_problem(
        self, request: Any, tenant: Tenant, tenant_id: str, actor: Actor, exc: QualityError
    ) -> Response[Any]:
        found = await service.list_complaints(tenant, tenant_id, actor)
        context = {
            "complaints": found,
            "status": "",
            "now": datetime.now(UTC),
            "clock": clock,
            "problem": exc,
        }
        return render_admin(request, tenant, "quality/board.html", context, exc.status_code)

    async def _detail(
        self,
        request: Any,
        tenant: Tenant,
        complaint_id: uuid.UUID,
        problem: QualityError | None = None,
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        actor = Actor(STAFF, signed_in_user(request).id)
        try:
            view = await service.get_complaint(tenant, tenant_id, str(complaint_id), actor)
        except KeyError:
            raise
        except LookupError:
            raise NotFoundException() from None
        context = {
            "c": view,
            "messages": await thread.thread_of(tenant_id, view.booking_id, actor),
            "now": datetime.now(UTC),
            "clock": clock,
            "problem": problem,
            "categories": CATEGORIES,
        }
        return render_admin(
            request,
            tenant,
            "quality/console_complaint.html",
            context,
            problem.status_code if problem else 200,
        )

    @get("/{complaint_id:uuid}")
    async def complaint(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        complaint_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        return await self._detail(request, tenant, complaint_id)

    @get("/{complaint_id:uuid}/evidence/{evidence_id:uuid}")
    async def evidence(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        complaint_id: FromPath[uuid.UUID],
        evidence_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        actor = Actor(STAFF, signed_in_user(request).id)
        return await evidence_file(request, tenant_id, complaint_id, evidence_id, [actor])

    @post("/{complaint_id:uuid}/message")
    async def message(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        complaint_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        actor = Actor(STAFF, signed_in_user(request).id)
        form = await request.form()
        kind = "note" if one(form, "kind") == "note" else "reply"
        try:
            await service.respond(tenant_id, str(complaint_id), actor, one(form, "text"), kind=kind)
        except KeyError:
            raise
        except LookupError:
            raise NotFoundException() from None
        except QualityError as exc:
            return await self._detail(request, tenant, complaint_id, exc)
        return Redirect(path=f"/admin/complaints/{complaint_id}", status_code=303)

    @post("/{complaint_id:uuid}/resolve")
    async def resolve(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        complaint_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        staff = signed_in_user(request).id
        form = await request.form()
        app_context = request.app.state.doorstep
        try:
            reservice_at = None
            if one(form, "reservice") == "on":
                reservice_at = local_moment(tenant, one(form, "reservice_at"))
                if reservice_at is None:
                    raise QualityError("reservice_at", "choose when the re-service is")
            resolution = outcomes.Resolution(
                reply=one(form, "reply"),
                upheld=one(form, "upheld") == "on",
                reservice_at=reservice_at,
                reservice_provider="any" if one(form, "reservice_provider") == "any" else "same",
                refund_fen=_fen(one(form, "refund_yuan")),
                compensation_fen=_fen(one(form, "compensation_yuan")),
                penalty=one(form, "penalty") == "on",
            )
            await outcomes.resolve(
                app_context.plugins,
                tenant,
                tenant_id,
                app_context.catalog(tenant),
                str(complaint_id),
                staff,
                resolution,
            )
        except KeyError:
            raise
        except LookupError:
            raise NotFoundException() from None
        except QualityError as exc:
            return await self._detail(request, tenant, complaint_id, exc)
        return Redirect(path=f"/admin/complaints/{complaint_id}", status_code=303)


class AppealConsole(Controller):
    path = "/admin/appeals"
    include_in_schema = False
    guards = [require_roles(*SUPPORT)]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    async def _page(
        self, request: Any, tenant: Tenant, problem: QualityError | None = None
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        now = datetime.now(UTC)
        rows = await ladder.pending_appeals(tenant_id)
        steps = []
        for row in rows:
            found = [
                s
                for s in await ladder.steps_of(tenant_id, str(row["provider"]), now)
                if s.id == str(row["id"])
            ]
            steps += found
        context = {"steps": steps, "problem": problem}
        return render_admin(
            request,
            tenant,
            "quality/appeals.html",
            context,
            problem.status_code if problem else 200,
        )

    @get("/")
    async def appeals(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        return await self._page(request, tenant)

    @post("/{sanction_id:uuid}")
    async def decide(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        sanction_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        form = await request.form()
        try:
            await ladder.decide_appeal(
                tenant_id,
                str(sanction_id),
                signed_in_user(request).id,
                uphold=one(form, "decision") == "uphold",
                reason=one(form, "reason"),
            )
        except KeyError:
            raise
        except LookupError:
            raise NotFoundException() from None
        except QualityError as exc:
            return await self._page(request, tenant, exc)
        return Redirect(path="/admin/appeals", status_code=303)


class SpotCheckConsole(Controller):
    path = "/admin/spot-checks"
    include_in_schema = False
    guards = [require_roles(*INSPECTORS)]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/")
    async def tasks(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        context = {"tasks": await spotchecks.open_tasks(tenant_id)}
        return render_admin(request, tenant, "quality/spot_checks.html", context)

    async def _task(
        self,
        request: Any,
        tenant: Tenant,
        spot_check_id: uuid.UUID,
        problem: QualityError | None = None,
        values: dict[str, str] | None = None,
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        task = (
            await SpotCheck.select()
            .where((SpotCheck.tenant == tenant_id) & (SpotCheck.id == spot_check_id))
            .first()
        )
        if task is None:
            raise NotFoundException()
        context = {
            "task": task,
            "form": spotchecks.form_for(tenant, task["kind"], task["vertical"]),
            "problem": problem,
            "values": values or {},
        }
        return render_admin(
            request,
            tenant,
            "quality/spot_check.html",
            context,
            problem.status_code if problem else 200,
        )

    @get("/{spot_check_id:uuid}")
    async def task(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        spot_check_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        return await self._task(request, tenant, spot_check_id)

    @post("/{spot_check_id:uuid}")
    async def record(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        spot_check_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        form = await request.form()
        answers = {k: v for k, v in form.items() if isinstance(v, str)}
        try:
            await spotchecks.complete(
                request.app.state.doorstep.plugins,
                tenant,
                tenant_id,
                str(spot_check_id),
                signed_in_user(request).id,
                answers,
            )
        except KeyError:
            raise
        except LookupError:
            raise NotFoundException() from None
        except QualityError as exc:
            return await self._task(request, tenant, spot_check_id, exc, answers)
        return Redirect(path="/admin/spot-checks", status_code=303)


class QualityDashboard(Controller):
    path = "/admin/quality"
    include_in_schema = False
    guards = [require_roles("admin", "support", "quality_inspector")]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/")
    async def dashboard(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        """Complaints by category and deadline state, spot-check scores per vertical by week,
        penalty steps and appeals (last 90 days)."""
        tenant_id = await tenant_id_of(tenant)
        now = datetime.now(UTC)
        since = now - timedelta(days=90)
        complaints = await Complaint.select(
            Complaint.category, Complaint.resolution_due, Complaint.resolved_at
        ).where((Complaint.tenant == tenant_id) & (Complaint.created_at >= since))
        by_category = Counter(c["category"] for c in complaints)
        by_clock = Counter(clock(c["resolution_due"], c["resolved_at"], now) for c in complaints)
        checks = await SpotCheck.select(SpotCheck.vertical, SpotCheck.week, SpotCheck.score).where(
            (SpotCheck.tenant == tenant_id)
            & (SpotCheck.status == "done")
            & (SpotCheck.completed_at >= since)
        )
        trend: dict[str, dict[str, list[int]]] = {}
        for c in checks:
            trend.setdefault(c["vertical"], {}).setdefault(c["week"], []).append(c["score"])
        steps = await Sanction.select(Sanction.level, Sanction.appeal_decision).where(
            (Sanction.tenant == tenant_id) & (Sanction.starts_at >= since)
        )
        events = await PenaltyEvent.select(PenaltyEvent.kind).where(
            (PenaltyEvent.tenant == tenant_id) & (PenaltyEvent.at >= since)
        )
        context = {
            "by_category": [(k, by_category.get(k, 0)) for k in CATEGORIES],
            "by_clock": [(k, by_clock.get(k, 0)) for k in ("running", "overdue", "met", "missed")],
            "trend": {
                v: sorted((w, round(sum(s) / len(s))) for w, s in weeks.items())
                for v, weeks in trend.items()
            },
            "levels": Counter(s["level"] for s in steps),
            "appeals": Counter(s["appeal_decision"] for s in steps if s["appeal_decision"]),
            "events": Counter(e["kind"] for e in events),
        }
        return render_admin(request, tenant, "quality/dashboard.html", context)
