"""Core's default dispatch adapters: the great-circle travel-time estimator and the demo
geocoder (both answer last, after any plugin's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.dispatch.demo_geocoder import DemoGeocoder
from core.dispatch.schemas import Geocoder, TravelTimeEstimator
from core.hookspecs import hookimpl

if TYPE_CHECKING:
    from core.tenancy.model import Tenant


@hookimpl(trylast=True)
def travel_time_estimator(tenant: Tenant) -> TravelTimeEstimator:
    return TravelTimeEstimator(speed_kmh=tenant.config.travel_speed_kmh)


@hookimpl(trylast=True)
def geocoders(tenant: Tenant) -> list[Geocoder]:
    return [DemoGeocoder()]
