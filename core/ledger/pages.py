"""Money pages: the provider's earnings and monthly statements (HTML, CSV, PDF) in the provider
workspace, and the admin's finance dashboard with inline SVG charts. Reads only."""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery

from core.accounts.forms import signed_in_user, tenant_id_of
from core.ledger.balances import provider_balances
from core.ledger.charts import chart
from core.ledger.exports import statement_csv, statement_pdf
from core.ledger.settlement import available_payable, cutoff_for
from core.ledger.statements import daily_series, platform_statement, provider_statement
from core.ledger.tables import Payout, SettlementRun
from core.providers.onboarding import profile_of_user
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, within_tenant
from core.web.admin import render_admin
from core.web.auth import require_kind, require_roles
from core.web.templating import render_page
from core.web.tenant import request_locale, request_tenant

FINANCE_ROLES = ("admin",)
RANGES = (7, 30, 90)


def month_bounds(
    tenant: Tenant, month: str | None, now: datetime
) -> tuple[date, datetime, datetime]:
    """The first day of ``month`` (``YYYY-MM``; default: this month, tenant time) and its
    start and end as aware datetimes. A malformed month falls back to this month."""
    zone = ZoneInfo(tenant.config.timezone)
    first = now.astimezone(zone).date().replace(day=1)
    if month:
        with suppress(ValueError):
            first = date.fromisoformat(f"{month}-01")
    following = (first + timedelta(days=32)).replace(day=1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(following, datetime.min.time(), tzinfo=zone)
    return first, start, end


def next_settlement(tenant: Tenant, now: datetime) -> date:
    policy = tenant.config.policies.settlement
    today = now.astimezone(ZoneInfo(tenant.config.timezone)).date()
    for ahead in range(1, 8):
        day = today + timedelta(days=ahead)
        if day.isoweekday() in policy.weekdays:
            return day
    return today + timedelta(days=7)


def _private(response: Response[Any]) -> Response[Any]:
    response.headers["cache-control"] = "no-store"
    return response


class EarningsPages(Controller):
    path = "/provider/earnings"
    include_in_schema = False
    guards = [require_kind("provider")]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    async def _provider(self, request: Request[Any, Any, Any], tenant: Tenant) -> tuple[str, str]:
        tenant_id = await tenant_id_of(tenant)
        found = await profile_of_user(signed_in_user(request).id, tenant_id)
        if found is None:
            raise NotFoundException()
        return tenant_id, str(found["id"])

    @get("/")
    async def earnings(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        month: FromQuery[str | None] = None,
    ) -> Response[Any]:
        tenant_id, provider = await self._provider(request, tenant)
        now = datetime.now(UTC)
        first, start, end = month_bounds(tenant, month, now)
        statement = await provider_statement(tenant_id, provider, start, end)
        balances = await provider_balances(tenant_id, provider)
        zone = ZoneInfo(tenant.config.timezone)
        today = now.astimezone(zone).date()
        available = await available_payable(tenant_id, provider, cutoff_for(tenant, today))
        this_month = today.replace(day=1)
        months = [(this_month - timedelta(days=31 * n)).replace(day=1) for n in range(6)]
        context = {
            "statement": statement,
            "balances": balances,
            "available": available,
            "policy": tenant.config.policies.settlement,
            "next_settlement": next_settlement(tenant, now),
            "month": first.strftime("%Y-%m"),
            "months": [m.strftime("%Y-%m") for m in months],
        }
        return _private(render_page(request, tenant, "ledger/earnings.html", context))

    @get("/statement.csv")
    async def statement_csv(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        month: FromQuery[str | None] = None,
    ) -> Response[Any]:
        tenant_id, provider = await self._provider(request, tenant)
        first, start, end = month_bounds(tenant, month, datetime.now(UTC))
        statement = await provider_statement(tenant_id, provider, start, end)
        name = f"statement-{first:%Y-%m}.csv"
        return _private(
            Response(
                statement_csv(statement, tenant.config.timezone),
                media_type="text/csv; charset=utf-8",
                headers={"content-disposition": f'attachment; filename="{name}"'},
            )
        )

    @get("/statement.pdf")
    async def statement_pdf(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        month: FromQuery[str | None] = None,
    ) -> Response[Any]:
        tenant_id, provider = await self._provider(request, tenant)
        first, start, end = month_bounds(tenant, month, datetime.now(UTC))
        statement = await provider_statement(tenant_id, provider, start, end)
        body = statement_pdf(
            statement,
            brand=tenant.name(tenant.config.default_locale),
            provider_name=provider[:8],
            timezone=tenant.config.timezone,
            currency=tenant.config.currency,
        )
        name = f"statement-{first:%Y-%m}.pdf"
        return _private(
            Response(
                body,
                media_type="application/pdf",
                headers={"content-disposition": f'attachment; filename="{name}"'},
            )
        )


@within_tenant
async def recent_settlements(tenant_id: Any, limit: int = 6) -> list[dict[str, Any]]:
    runs = (
        await scoped(SettlementRun, tenant_id)
        .select()
        .order_by(SettlementRun.period, ascending=False)
        .limit(limit)
    )
    failed = {
        row["period"]
        for row in await scoped(Payout, tenant_id)
        .select(Payout.period)
        .where(Payout.status.is_in(["failed", "pending"]))
    }
    return [{**row, "attention": row["period"] in failed} for row in runs]


class FinancePages(Controller):
    path = "/admin/finance"
    include_in_schema = False
    guards = [require_roles(*FINANCE_ROLES)]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/")
    async def dashboard(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        days: FromQuery[str | None] = None,
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        span = int(days) if days in {str(n) for n in RANGES} else 30
        zone = ZoneInfo(tenant.config.timezone)
        now = datetime.now(UTC)
        last = now.astimezone(zone).date()
        first = last - timedelta(days=span - 1)
        series = await daily_series(tenant_id, zone, first, last)
        start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        totals = await platform_statement(tenant_id, start, end)
        labels = [d.strftime("%m-%d") for d in series.days]
        context = {
            "span": span,
            "ranges": RANGES,
            "totals": totals,
            "first": first,
            "last": last,
            "charts": [
                chart("revenue", labels, series.revenue, series.commission),
                chart("refunds", labels, series.refunds),
                chart("payables", labels, series.payables),
            ],
            "settlements": await recent_settlements(tenant_id),
            "vertical_names": request.app.state.doorstep.plugins.vertical_labels(
                tenant, request_locale(request, tenant)
            ),
        }
        return render_admin(request, tenant, "admin/finance.html", context)


class PlatformStatementPages(Controller):
    """The tenant's platform statement for a month: every booking with gross, commission,
    fees and the provider's net, and the platform's totals (HTML and CSV)."""

    path = "/admin/finance/statement"
    include_in_schema = False
    guards = [require_roles(*FINANCE_ROLES)]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/")
    async def statement(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        month: FromQuery[str | None] = None,
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        now = datetime.now(UTC)
        first, start, end = month_bounds(tenant, month, now)
        this_month = now.astimezone(ZoneInfo(tenant.config.timezone)).date().replace(day=1)
        months = [(this_month - timedelta(days=31 * n)).replace(day=1) for n in range(12)]
        context = {
            "statement": await platform_statement(tenant_id, start, end),
            "month": first.strftime("%Y-%m"),
            "months": [m.strftime("%Y-%m") for m in months],
        }
        return render_admin(request, tenant, "admin/platform_statement.html", context)

    @get("/csv")
    async def statement_csv(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        month: FromQuery[str | None] = None,
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        first, start, end = month_bounds(tenant, month, datetime.now(UTC))
        statement = await platform_statement(tenant_id, start, end)
        name = f"platform-statement-{first:%Y-%m}.csv"
        return _private(
            Response(
                statement_csv(statement, tenant.config.timezone),
                media_type="text/csv; charset=utf-8",
                headers={"content-disposition": f'attachment; filename="{name}"'},
            )
        )
