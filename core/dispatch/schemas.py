"""Adapters for routing: travel times and route solvers, returned by hooks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

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

    async def matrix(self, points: Sequence[tuple[float, float]]) -> TravelMatrix:
        """Every pair at once (one call per plan): the same estimate as ``seconds``, vectorised.
        An adapter for a road router overrides this with its table call."""
        import numpy as np

        lat = np.radians(np.array([p[0] for p in points], dtype=float))
        lng = np.radians(np.array([p[1] for p in points], dtype=float))
        dp = lat[None, :] - lat[:, None]
        dl = lng[None, :] - lng[:, None]
        a = np.sin(dp / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dl / 2) ** 2
        km = 2 * R_EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))) * self.road_factor
        return TravelMatrix(
            seconds=np.rint(km / self.speed_kmh * 3600).astype(np.int64),
            metres=np.rint(km * 1000).astype(np.int64),
        )


class RouteSolver:
    """Plans a day: jobs x providers -> ordered routes. ``solve`` is synchronous CPU work (the
    service runs it in a worker thread); it returns every job either in a route or in
    ``unassigned`` with a reason, and never breaks a window, skill, pin, capacity or shift."""

    identifier: str = ""

    def solve(self, problem: DayProblem, time_limit_s: float) -> DaySolution:
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


# --- a day to plan and its plan (solver units: integer seconds and metres) -----------------


class TravelMatrix(msgspec.Struct, frozen=True, kw_only=True):
    """Travel between points: ``seconds[i][j]`` and ``metres[i][j]`` (numpy int64 arrays)."""

    seconds: Any
    metres: Any


class PlanJob(msgspec.Struct, frozen=True, kw_only=True):
    """One job to place. Times are seconds from the day's origin; ``location`` is a row of the
    problem's matrices."""

    id: str
    location: int
    service_s: int
    window: tuple[int, int]
    """Earliest and latest start of the work (the customer's window)."""
    demand: int = 0
    skills: frozenset[str] = frozenset()
    """Every one of them is needed."""
    provider: str | None = None
    """Pinned: only this provider may do it (the customer's choice, an accepted job)."""
    urgent: bool = False


class PlanBreak(msgspec.Struct, frozen=True, kw_only=True):
    window: tuple[int, int]
    """When the break may start."""
    duration_s: int


class PlanProvider(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    start: int
    end: int
    shift: tuple[int, int]
    """Leave ``start`` no earlier than ``shift[0]``, be back at ``end`` by ``shift[1]``."""
    skills: frozenset[str] = frozenset()
    capacity: int = 0
    """0: no capacity limit."""
    max_jobs: int = 0
    """0: no limit."""
    breaks: tuple[PlanBreak, ...] = ()


class DayProblem(msgspec.Struct, frozen=True, kw_only=True):
    jobs: tuple[PlanJob, ...]
    providers: tuple[PlanProvider, ...]
    matrix: TravelMatrix

    def can_serve(self, provider: PlanProvider, job: PlanJob) -> bool:
        """Skills and pinning only (time is the solver's business)."""
        if job.provider is not None and job.provider != provider.id:
            return False
        return job.skills <= provider.skills

    @property
    def restricted(self) -> bool:
        """Does any job need something some provider lacks, or any provider take breaks?"""
        every = frozenset().union(*(j.skills for j in self.jobs)) if self.jobs else frozenset()
        return (
            any(p.breaks for p in self.providers)
            or any(j.provider is not None for j in self.jobs)
            or any(not every <= p.skills for p in self.providers)
        )


class Stop(msgspec.Struct, frozen=True, kw_only=True):
    """One step of a route: a job (``job`` set) or a break (``job`` empty)."""

    job: str = ""
    arrival: int
    start: int
    end: int


class PlannedRoute(msgspec.Struct, frozen=True, kw_only=True):
    provider: str
    stops: tuple[Stop, ...]
    depart: int
    back: int
    metres: int
    travel_s: int
    idle_s: int

    @property
    def jobs(self) -> list[str]:
        return [s.job for s in self.stops if s.job]


class Unassigned(msgspec.Struct, frozen=True, kw_only=True):
    job: str
    reason: str
    """``no_skill``, ``no_shift``, ``bad_window``, ``unreachable`` or ``no_room``."""


class DaySolution(msgspec.Struct, frozen=True, kw_only=True):
    routes: tuple[PlannedRoute, ...]
    unassigned: tuple[Unassigned, ...] = ()
    solver: str = ""
    solver_seconds: float = 0.0
    """Time spent inside the solver library's own call."""

    @property
    def metres(self) -> int:
        return sum(r.metres for r in self.routes)
