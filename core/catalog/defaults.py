"""Core's own pricing: list price per unit x quantity, when no vertical prices it itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.hookspecs import hookimpl
from core.money import Money

if TYPE_CHECKING:
    from core.catalog.schemas import QuoteRequest
    from core.tenancy.model import Tenant


@hookimpl(trylast=True)
def base_price(tenant: Tenant, request: QuoteRequest) -> Money:
    return Money(request.unit_price_fen * request.quantity, tenant.config.currency)
