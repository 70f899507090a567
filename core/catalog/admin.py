"""The admin console's price pages: edit prices inside their bands, and see every version.

Thin: the rules live in ``core.catalog.price_lists`` (bands, versions) and
``core.catalog.editing`` (amounts, effective times, history).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_name
from babel.numbers import get_currency_symbol
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.response import Redirect

from core.catalog import editing, price_lists, service
from core.catalog.model import TenantCatalog
from core.catalog.pricing import QuoteError
from core.catalog.schemas import ServiceItem, ServiceTier
from core.tenancy.model import Tenant
from core.web.admin import render_admin
from core.web.auth import current_user, require_roles
from core.web.tenant import request_locale, request_tenant

HISTORY_PAGE_SIZE = 20


@dataclass(frozen=True)
class TierRow:
    """One line of the editor: a tier, its price now, its band, and what the admin typed."""

    ref: str
    anchor: str
    item: ServiceItem
    tier: ServiceTier
    current_fen: int
    was_fen: int
    """The price the form was opened with (a tier is changed only if the typed one differs)."""
    value: str
    error: str = ""
    """``amount`` (not an amount) or ``band`` (outside the band); empty when fine."""
    scheduled: tuple[int, datetime] | None = None


@dataclass(frozen=True)
class ItemGroup:
    vertical: Mapping[str, str]
    category: Mapping[str, str]
    item: ServiceItem
    rows: list[TierRow]


def _anchor(ref: str) -> str:
    return "tier-" + ref.replace(".", "-")


async def _groups(
    tenant: Tenant,
    catalog: TenantCatalog,
    verticals: Mapping[str, Any],
    now: datetime,
    typed: Mapping[str, str] | None = None,
    was: Mapping[str, int] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[ItemGroup]:
    prices = await price_lists.price_list(tenant, now)
    scheduled = await editing.scheduled_prices(tenant, now)
    groups = []
    for category in catalog.categories:
        for item in category.items:
            rows = []
            for tier in item.tiers:
                ref = f"{item.ref}.{tier.key}"
                current = service.current_price(item, tier.key, prices.prices)
                shown = (was or {}).get(ref, current)
                rows.append(
                    TierRow(
                        ref=ref,
                        anchor=_anchor(ref),
                        item=item,
                        tier=tier,
                        current_fen=current,
                        was_fen=shown,
                        value=(typed or {}).get(ref, editing.amount_text(shown)),
                        error=(errors or {}).get(ref, ""),
                        scheduled=scheduled.get(ref),
                    )
                )
            vertical = verticals[item.vertical].label if item.vertical in verticals else {}
            groups.append(ItemGroup(vertical, category.label, item, rows))
    return groups


class PriceAdmin(Controller):
    path = "/admin/prices"
    include_in_schema = False
    guards = [require_roles("admin")]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/")
    async def editor(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        saved: FromQuery[int | None] = None,
    ) -> Response[str]:
        now = datetime.now(UTC)
        app_context = request.app.state.doorstep
        catalog = app_context.catalog(tenant)
        confirmation = await editing.version_summary(tenant, saved) if saved else None
        groups = await _groups(tenant, catalog, app_context.plugins.verticals, now)
        return self._page(request, tenant, groups, now, confirmation=confirmation)

    @post("/")
    async def save(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        """One version for the whole form; nothing is saved if any field is wrong."""
        now = datetime.now(UTC)
        app_context = request.app.state.doorstep
        catalog: TenantCatalog = app_context.catalog(tenant)
        form = await request.form()
        reason = str(form.get("reason") or "").strip()
        effective_text = str(form.get("effective") or "")
        errors: dict[str, str] = {}
        typed: dict[str, str] = {}
        was: dict[str, int] = {}
        changes: dict[str, int] = {}
        for ref in catalog.tier_refs():
            text = form.get(f"p.{ref}")
            if text is None:
                continue
            typed[ref] = str(text)
            shown = str(form.get(f"was.{ref}") or "")
            previous = int(shown) if shown.isascii() and shown.isdigit() else None
            if previous is not None:
                was[ref] = previous
            fen = editing.parse_amount(str(text))
            if fen is None:
                errors[ref] = "amount"
            elif fen != previous:
                changes[ref] = fen
        effective_at = None
        try:
            effective_at = editing.effective_time(effective_text, tenant.config.timezone, now)
        except editing.EffectiveTimeError as exc:
            errors["effective"] = exc.code
        if not reason:
            errors["reason"] = "missing"
        number = 0
        if not errors and changes:
            user = current_user(request)
            assert user is not None  # the guard let only a signed-in admin in
            try:
                number = await price_lists.change_prices(
                    tenant,
                    catalog,
                    changes,
                    actor=user.id,
                    reason=reason,
                    source="admin",
                    effective_at=effective_at,
                    now=now,
                )
            except QuoteError as exc:
                for problem in exc.problems:
                    key = problem.field.removeprefix("prices.")
                    errors[key] = "band" if problem.field.startswith("prices.") else "missing"
        if number:
            return Redirect(path=f"/admin/prices?saved={number}", status_code=303)
        groups = await _groups(
            tenant, catalog, app_context.plugins.verticals, now, typed, was, errors
        )
        return self._page(
            request,
            tenant,
            groups,
            now,
            errors=errors,
            reason=reason,
            effective=effective_text,
            unchanged=not errors,
            status_code=400 if errors else 200,
        )

    @get("/history")
    async def history(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        page: FromQuery[int] = 1,
    ) -> Response[str]:
        page = max(page, 1)
        found = await editing.price_history(
            tenant, limit=HISTORY_PAGE_SIZE, offset=(page - 1) * HISTORY_PAGE_SIZE
        )
        catalog: TenantCatalog = request.app.state.doorstep.catalog(tenant)
        labels = {}
        for item in catalog.items:
            for tier in item.tiers:
                labels[f"{item.ref}.{tier.key}"] = (item.label, tier.label)
        return render_admin(
            request,
            tenant,
            "admin/price_history.html",
            {
                "history": found,
                "labels": labels,
                "page": page,
                "has_older": page * HISTORY_PAGE_SIZE < found.total,
                "now": datetime.now(UTC),
            },
        )

    def _page(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        groups: list[ItemGroup],
        now: datetime,
        *,
        confirmation: editing.VersionEntry | None = None,
        errors: Mapping[str, str] | None = None,
        reason: str = "",
        effective: str = "",
        unchanged: bool = False,
        status_code: int = 200,
    ) -> Response[str]:
        locale = request_locale(request, tenant)
        zone = ZoneInfo(tenant.config.timezone)
        offset = now.astimezone(zone).strftime("%z")
        offset = f"{offset[:3]}:{offset[3:]}"
        sections: dict[str, Mapping[str, str]] = {}
        for group in groups:
            sections.setdefault(group.item.vertical, group.vertical)
        return render_admin(
            request,
            tenant,
            "admin/prices.html",
            {
                "groups": groups,
                "sections": list(sections.items()),
                "confirmation": confirmation,
                "errors": errors or {},
                "reason": reason,
                "effective": effective,
                "unchanged": unchanged,
                "now": now,
                "currency_symbol": get_currency_symbol(tenant.config.currency, locale=locale),
                "zone_name": f"{get_timezone_name(zone, locale=locale)} (UTC{offset})",
            },
            status_code,
        )
