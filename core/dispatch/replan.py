"""Re-planning a running day: an urgent job goes where it disturbs least.

Minimal disruption by construction: no planned job changes provider or order. The urgent job is
tried at every position of every route able to take it, after the stops already started or in
the past; a position counts only if every later job still starts inside its promised window and
every break inside its own. Among those, the cheapest in added travel plus delay to others
(``DELAY_WEIGHT`` metres per second of delay) wins; the one changed route is re-timed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import msgspec
import numpy as np

from core.dispatch.schedule import BREAK, timed_route, travel_with_breaks
from core.dispatch.schemas import (
    DayProblem,
    DaySolution,
    PlanBreak,
    PlanJob,
    PlannedRoute,
    PlanProvider,
    Unassigned,
)

DELAY_WEIGHT = 2
"""Metres of detour worth one second of delay to an already promised customer."""


@dataclass(frozen=True)
class Replanned:
    problem: DayProblem
    solution: DaySolution
    provider: str | None
    """Who takes the urgent job (None: nobody can, it is in ``solution.unassigned``)."""
    moved: dict[str, tuple[int, int]]
    """Jobs whose planned start changed: job id -> (old start, new start)."""


def insert_urgent(
    problem: DayProblem,
    solution: DaySolution,
    job: PlanJob,
    now: int,
    started: Iterable[str] = (),
) -> Replanned:
    """``job.location`` must be a row of ``problem.matrix``; ``started`` jobs (and anything
    planned to start before ``now``) stay where they are, and nothing is inserted before them."""
    job = msgspec.structs.replace(job, window=(max(job.window[0], now), job.window[1]))
    fixed = set(started)
    seconds = np.asarray(problem.matrix.seconds)
    metres = np.asarray(problem.matrix.metres)
    index = {j.id: k for k, j in enumerate(problem.jobs)}
    jobs = (*problem.jobs, job)
    new = len(jobs) - 1
    grown = DayProblem(jobs=jobs, providers=problem.providers, matrix=problem.matrix)
    routes = {r.provider: r for r in solution.routes}

    best: tuple[int, str, list[int]] | None = None
    for provider in problem.providers:
        if not grown.can_serve(provider, job):
            continue
        route = routes.get(provider.id)
        steps = _steps(route, index) if route else [BREAK] * len(provider.breaks)
        stops = route.stops if route else ()
        first = 0
        for k, stop in enumerate(stops):
            if (stop.job and stop.job in fixed) or stop.start < now:
                first = k + 1
        planned = {s.job: s.start for s in stops if s.job}
        for at in range(first, len(steps) + 1):
            trial = [*steps[:at], new, *steps[at:]]
            cost = _cost(grown, provider, trial, planned, seconds, metres)
            if cost is not None:
                cost -= route.metres if route else 0
            if cost is not None and (best is None or cost < best[0]):
                best = (cost, provider.id, trial)

    if best is None:
        missing = (*solution.unassigned, Unassigned(job=job.id, reason="no_room"))
        kept = DaySolution(routes=solution.routes, unassigned=missing, solver="replan")
        return Replanned(problem=grown, solution=kept, provider=None, moved={})
    _, chosen, trial = best
    provider = next(p for p in problem.providers if p.id == chosen)
    changed = timed_route(grown, provider, trial)
    old = {s.job: s.start for s in routes[chosen].stops if s.job} if chosen in routes else {}
    moved = {
        s.job: (old[s.job], s.start)
        for s in changed.stops
        if s.job in old and old[s.job] != s.start
    }
    others = tuple(r for r in solution.routes if r.provider != chosen)
    replanned = DaySolution(
        routes=(*others, changed), unassigned=solution.unassigned, solver="replan"
    )
    return Replanned(problem=grown, solution=replanned, provider=chosen, moved=moved)


def _steps(route: PlannedRoute, index: dict[str, int]) -> list[int]:
    return [index[s.job] if s.job else BREAK for s in route.stops]


def _cost(
    problem: DayProblem,
    provider: PlanProvider,
    steps: list[int],
    planned: dict[str, int],
    seconds: np.ndarray,
    metres: np.ndarray,
) -> int | None:
    """Route travel + weighted delay, or None when a window, break or the shift breaks."""
    here, clock, distance, delay = provider.start, provider.shift[0], 0, 0
    pauses = iter(provider.breaks)
    pending: list[PlanBreak] = []

    def arrive(to: int) -> int | None:
        arrival, starts = travel_with_breaks(clock, int(seconds[here, to]), pending)
        if any(s > p.window[1] for s, p in zip(starts, pending, strict=True)):
            return None
        pending.clear()
        return arrival

    for step in steps:
        if step == BREAK:
            pending.append(next(pauses))
            continue
        job = problem.jobs[step]
        arrival = arrive(job.location)
        if arrival is None:
            return None
        clock = max(arrival, job.window[0])
        if clock > job.window[1]:
            return None
        delay += max(0, clock - planned.get(job.id, clock))
        distance += int(metres[here, job.location])
        here, clock = job.location, clock + job.service_s
    distance += int(metres[here, provider.end])
    back = arrive(provider.end)
    if back is None or back > provider.shift[1]:
        return None
    if provider.max_jobs and sum(1 for s in steps if s != BREAK) > provider.max_jobs:
        return None
    return distance + DELAY_WEIGHT * delay
