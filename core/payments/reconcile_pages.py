"""The admin's reconciliation page: the gateways' records against the ledger for a period,
every difference listed (linked from the finance dashboard). Reads only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from core.accounts.forms import tenant_id_of
from core.payments.reconciliation import ReconcileInputError, period, reconcile_period
from core.tenancy.model import Tenant
from core.web.admin import render_admin
from core.web.auth import require_roles
from core.web.tenant import request_tenant

DEFAULT_DAYS = 7


class ReconcilePages(Controller):
    path = "/admin/finance/reconcile"
    include_in_schema = False
    guards = [require_roles("admin")]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/")
    async def report(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        first: Annotated[str | None, QueryParameter(name="from")] = None,
        last: Annotated[str | None, QueryParameter(name="to")] = None,
    ) -> Response[Any]:
        zone = ZoneInfo(tenant.config.timezone)
        today = datetime.now(UTC).astimezone(zone).date()
        asked = {
            "from": first or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
            "to": last or today.isoformat(),
        }
        try:
            day1, day2, start, end = period(asked["from"], asked["to"], tenant.config.timezone)
        except ReconcileInputError as exc:
            context: dict[str, Any] = {"asked": asked, "problem": exc.field, "report": None}
            return render_admin(request, tenant, "admin/reconcile.html", context, 400)
        tenant_id = await tenant_id_of(tenant)
        report = await reconcile_period(tenant_id, day1, day2, start, end)
        context = {"asked": asked, "problem": "", "report": report}
        return render_admin(request, tenant, "admin/reconcile.html", context)
