"""Core's default travel-time estimator (great circle x road factor / tenant speed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.dispatch.schemas import TravelTimeEstimator
from core.hookspecs import hookimpl

if TYPE_CHECKING:
    from core.tenancy.model import Tenant


@hookimpl(trylast=True)
def travel_time_estimator(tenant: Tenant) -> TravelTimeEstimator:
    return TravelTimeEstimator(speed_kmh=tenant.config.travel_speed_kmh)
