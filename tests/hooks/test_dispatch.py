"""Dispatch and geography: geocoders, travel_time_estimator and route_solver."""

from __future__ import annotations

from core.dispatch.schemas import Geocoder, RouteSolver, TravelTimeEstimator
from core.tenancy.model import Tenant
from tests.hooks.host import (
    GARDENING_VERTICAL,
    concatenated,
    host,
    plugin,
    vertical_plugin,
)

PEOPLES_SQUARE = (31.2304, 121.4737)
ONE_DEGREE_NORTH = (32.2304, 121.4737)
"""One degree of latitude due north: 111.195 km on the great circle (R = 6371.0088 km)."""


class NamedGeocoder(Geocoder):
    def __init__(self, identifier: str) -> None:
        self.identifier = identifier


def test_hook_geocoders(jiejia: Tenant, garden: Tenant) -> None:
    """Geocoders come most recently registered first; a vertical's only where it is enabled;
    core's demo geocoder (it knows the demo cities' streets) is tried last."""
    pm = host(
        vertical_plugin(
            GARDENING_VERTICAL, geocoders=lambda tenant: [NamedGeocoder("plot_registry")]
        ),
        plugin("amap", geocoders=lambda tenant: [NamedGeocoder("amap")]),
        plugin("tianditu", geocoders=lambda tenant: [NamedGeocoder("tianditu")]),
    )

    def tried(tenant: Tenant) -> list[str]:
        return [g.identifier for g in concatenated(pm.for_tenant(tenant).geocoders())]

    assert tried(garden) == ["tianditu", "amap", "plot_registry", "demo"]
    assert tried(jiejia) == ["tianditu", "amap", "demo"]


class OsrmTravelTime(TravelTimeEstimator):
    identifier = "osrm"

    async def seconds(self, origin: tuple[float, float], dest: tuple[float, float]) -> int:
        return 4200


async def test_hook_travel_time_estimator(jiejia: Tenant, wanjia: Tenant, garden: Tenant) -> None:
    """Core's great-circle estimate answers unless a plugin does, at the tenant's own speed."""
    pm = host(
        vertical_plugin(GARDENING_VERTICAL, travel_time_estimator=lambda tenant: OsrmTravelTime()),
        plugin("no-opinion", travel_time_estimator=lambda tenant: None),
    )
    at_jiejia = pm.for_tenant(jiejia).travel_time_estimator()
    at_wanjia = pm.for_tenant(wanjia).travel_time_estimator()
    at_garden = pm.for_tenant(garden).travel_time_estimator()

    assert (at_jiejia.identifier, at_wanjia.identifier) == ("great_circle", "great_circle")
    # 111.195 km x road factor 1.3, at jiejia's 22 km/h and wanjia's 25 km/h
    assert await at_jiejia.seconds(PEOPLES_SQUARE, ONE_DEGREE_NORTH) == 23654
    assert await at_wanjia.seconds(PEOPLES_SQUARE, ONE_DEGREE_NORTH) == 20816
    assert await at_jiejia.seconds(PEOPLES_SQUARE, PEOPLES_SQUARE) == 0
    assert at_garden.identifier == "osrm"
    assert await at_garden.seconds(PEOPLES_SQUARE, ONE_DEGREE_NORTH) == 4200


class NamedSolver(RouteSolver):
    def __init__(self, identifier: str) -> None:
        self.identifier = identifier


def test_hook_route_solver(jiejia: Tenant, garden: Tenant) -> None:
    """Core's kit solver unless a plugin offers one; with several, the most recently
    registered wins."""
    assert host().for_tenant(jiejia).route_solver().identifier == "kit"

    pm = host(
        vertical_plugin(GARDENING_VERTICAL, route_solver=lambda tenant: NamedSolver("garden_vrp")),
    )
    assert pm.for_tenant(garden).route_solver().identifier == "garden_vrp"
    assert pm.for_tenant(jiejia).route_solver().identifier == "kit"

    pm = host(
        vertical_plugin(GARDENING_VERTICAL, route_solver=lambda tenant: NamedSolver("garden_vrp")),
        plugin("ortools", route_solver=lambda tenant: NamedSolver("ortools")),
    )
    assert pm.for_tenant(garden).route_solver().identifier == "ortools"
    assert pm.for_tenant(jiejia).route_solver().identifier == "ortools"
