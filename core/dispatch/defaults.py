"""Core's default dispatch adapters: the travel-time estimator (great circle, or the tenant's
OSRM server), the route solver and the demo geocoder (all answer last, after any plugin's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.dispatch.demo_geocoder import DemoGeocoder
from core.dispatch.schemas import Geocoder, RouteSolver, TravelTimeEstimator
from core.hookspecs import hookimpl

if TYPE_CHECKING:
    from core.tenancy.model import Tenant


@hookimpl(trylast=True)
def travel_time_estimator(tenant: Tenant) -> TravelTimeEstimator:
    osrm = tenant.config.policies.dispatch.osrm_url
    if osrm:
        from core.dispatch.osrm import OsrmTravelTime

        return OsrmTravelTime(osrm)
    return TravelTimeEstimator(speed_kmh=tenant.config.travel_speed_kmh)


@hookimpl(trylast=True)
def route_solver(tenant: Tenant) -> RouteSolver:
    from core.dispatch.solvers import KitSolver

    return KitSolver()


@hookimpl(trylast=True)
def geocoders(tenant: Tenant) -> list[Geocoder]:
    return [DemoGeocoder()]
