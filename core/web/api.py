"""JSON API v1 routes that belong to no domain yet, and the health check."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide

from core.tenancy.model import Tenant
from core.tenancy.tables import TenantRow
from core.web.tenant import PUBLIC_OPT, request_tenant

log = logging.getLogger("doorstep.web")


class VerticalOut(msgspec.Struct, rename="camel"):
    slug: str
    label: dict[str, str]


class TenantOut(msgspec.Struct, rename="camel"):
    slug: str
    name: dict[str, str]
    locales: list[str]
    default_locale: str
    timezone: str
    currency: str
    verticals: list[VerticalOut]


class Health(msgspec.Struct):
    status: str
    database: str


class TenantApi(Controller):
    path = "/api/v1"
    tags = ["tenant"]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/tenant", operation_id="getTenant", summary="This tenant's public profile")
    async def get_tenant(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> TenantOut:
        """The brand behind this host: names, languages, enabled verticals."""
        verticals = request.app.state.doorstep.plugins.verticals
        return TenantOut(
            slug=tenant.slug,
            name=tenant.config.name,
            locales=list(tenant.config.locales),
            default_locale=tenant.config.default_locale,
            timezone=tenant.config.timezone,
            currency=tenant.config.currency,
            verticals=[
                VerticalOut(slug=slug, label=verticals[slug].label)
                for slug in tenant.enabled_verticals
            ],
        )


@get("/health", operation_id="getHealth", tags=["operations"], opt={PUBLIC_OPT: True})
async def health() -> Response[Health]:
    """Liveness and database reachability; answers on any host (503 when degraded)."""
    try:
        await TenantRow.count()
    except Exception:  # the probe reports, it does not crash
        log.warning("health: database unreachable", exc_info=True)
        return Response(Health(status="degraded", database="unavailable"), status_code=503)
    return Response(Health(status="ok", database="ok"))
