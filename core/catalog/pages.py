"""Catalogue pages for customers: browse services, then price one live as you answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from core.catalog import price_lists, service
from core.tenancy.model import Tenant
from core.web.templating import render_page
from core.web.tenant import request_tenant


class CatalogPages(Controller):
    path = "/services"
    include_in_schema = False
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/")
    async def services(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[str]:
        app_context = request.app.state.doorstep
        catalog = app_context.catalog(tenant)
        prices = await price_lists.price_list(tenant, datetime.now(UTC))
        from_prices = {
            item.ref: service.lowest_price(item, prices.prices) for item in catalog.items
        }
        verticals = [app_context.plugins.verticals[slug] for slug in tenant.enabled_verticals]
        return render_page(
            request,
            tenant,
            "catalog/services.html",
            {"categories": catalog.categories, "from_prices": from_prices, "verticals": verticals},
        )

    @get("/{vertical:str}/{item:str}")
    async def service_page(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        vertical: FromPath[str],
        item: FromPath[str],
    ) -> Response[str]:
        app_context = request.app.state.doorstep
        found = app_context.catalog(tenant).item(f"{vertical}.{item}")
        if found is None:
            raise NotFoundException()
        now = datetime.now(UTC)
        prices = await price_lists.price_list(tenant, now)
        offset = now.astimezone(ZoneInfo(tenant.config.timezone)).strftime("%z")
        tier_labels = {f"{found.ref}.{t.key}": t.label for t in found.tiers}
        return render_page(
            request,
            tenant,
            "catalog/service.html",
            {
                "item": found,
                "prices": {
                    t.key: service.current_price(found, t.key, prices.prices) for t in found.tiers
                },
                "changes": [
                    (tier_labels[c.tier_ref], c)
                    for c in prices.recent_changes
                    if c.tier_ref in tier_labels
                ],
                "requirements": service.item_requirements(app_context.plugins, tenant, found),
                "utc_offset": f"{offset[:3]}:{offset[3:]}",
            },
        )
