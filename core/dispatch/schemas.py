"""Adapters for routing: travel times and route solvers, returned by hooks."""

from __future__ import annotations

import math

import msgspec

R_EARTH_KM = 6371.0088


def great_circle_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Haversine distance between two WGS-84 points, in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R_EARTH_KM * math.asin(math.sqrt(a))


class TravelTimeEstimator:
    """Turns point pairs into travel seconds. Default: great circle x road factor / speed."""

    identifier: str = "great_circle"

    def __init__(self, speed_kmh: float = 25.0, road_factor: float = 1.3) -> None:
        self.speed_kmh = speed_kmh
        self.road_factor = road_factor

    async def seconds(self, origin: tuple[float, float], dest: tuple[float, float]) -> int:
        km = great_circle_km(*origin, *dest) * self.road_factor
        return round(km / self.speed_kmh * 3600)


class RouteSolver:
    """Plans a day (jobs x providers -> ordered routes). Implemented with the dispatch issue."""

    identifier: str = ""

    async def solve(self, problem: object, time_limit_s: float) -> object:
        raise NotImplementedError


class Place(msgspec.Struct, frozen=True, kw_only=True):
    """Where an address is: a WGS-84 point and, when the geocoder knows it, the district."""

    lat: float
    lng: float
    district: str = ""


class Geocoder:
    """Address text -> WGS-84 point, or None when unknown."""

    identifier: str = ""

    async def geocode(self, address: str, city: str) -> tuple[float, float] | None:
        raise NotImplementedError

    async def locate(self, address: str, city: str) -> Place | None:
        """The point with its district. Default: ``geocode()``'s point, district unknown."""
        point = await self.geocode(address, city)
        return None if point is None else Place(lat=point[0], lng=point[1])
