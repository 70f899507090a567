"""Core's route solvers. The kit's default (``KitSolver``) sorts out the jobs nobody can do,
then hands the rest to PyVRP when the day is plain time windows and capacities (PyVRP plans
those best: bench/route_solomon.py) and to VROOM when jobs need skills, pins or providers take
breaks (VROOM has them natively)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import numpy as np

from core.dispatch.schedule import BREAK, timed_route
from core.dispatch.schemas import (
    DayProblem,
    DaySolution,
    PlannedRoute,
    PlanProvider,
    RouteSolver,
    Unassigned,
)

UNLIMITED = 2**31


def triage(problem: DayProblem) -> dict[str, str]:
    """Jobs no provider could ever do, each with its reason (see ``Unassigned.reason``)."""
    seconds = problem.matrix.seconds
    ids = {p.id for p in problem.providers}
    reasons: dict[str, str] = {}
    for job in problem.jobs:
        if job.window[0] > job.window[1] or job.service_s < 0:
            reasons[job.id] = "bad_window"
            continue
        if job.provider is not None and job.provider not in ids:
            reasons[job.id] = "no_shift"
            continue
        able = [p for p in problem.providers if problem.can_serve(p, job)]
        if not able:
            reasons[job.id] = "no_skill"
            continue
        if not any(_reachable(p, job.location, job.window, job.service_s, seconds) for p in able):
            reasons[job.id] = "unreachable"
    return reasons


def _reachable(
    provider: PlanProvider, location: int, window: tuple[int, int], service: int, seconds: object
) -> bool:
    matrix = np.asarray(seconds)
    start = max(provider.shift[0] + int(matrix[provider.start, location]), window[0])
    back = start + service + int(matrix[location, provider.end])
    return start <= window[1] and back <= provider.shift[1]


def _subproblem(problem: DayProblem, skip: dict[str, str]) -> DayProblem:
    jobs = tuple(j for j in problem.jobs if j.id not in skip)
    return DayProblem(jobs=jobs, providers=problem.providers, matrix=problem.matrix)


class PyVrpSolver(RouteSolver):
    """PyVRP's iterated local search. Plain windows, capacities, shifts and per-provider start
    and end points; no skills, pins or breaks (``KitSolver`` sends those days to VROOM)."""

    identifier = "pyvrp"

    def __init__(self, seed: int = 1) -> None:
        self.seed = seed

    def solve(self, problem: DayProblem, time_limit_s: float) -> DaySolution:
        import pyvrp
        from pyvrp.stop import MaxRuntime

        if problem.restricted:
            raise ValueError("PyVrpSolver plans days without skills, pins or breaks")
        if not problem.jobs:
            return DaySolution(routes=(), solver=self.identifier)
        data, owners = self._data(problem, required=True)
        began = time.perf_counter()
        result = pyvrp.solve(data, stop=MaxRuntime(time_limit_s), seed=self.seed, display=False)
        if not result.best.is_feasible():
            # Some job does not fit anywhere: plan again with every job optional (a prize
            # larger than any detour), so the rest still gets a plan.
            data, owners = self._data(problem, required=False)
            result = pyvrp.solve(data, stop=MaxRuntime(time_limit_s), seed=self.seed)
        spent = time.perf_counter() - began
        routes: list[PlannedRoute] = []
        free = {k: list(v) for k, v in owners.items()}
        for route in result.best.routes():
            provider = free[route.vehicle_type()].pop(0)
            order = [a.idx for a in route.schedule() if a.is_client()]
            routes.append(timed_route(problem, provider, order))
        done = {j for r in routes for j in r.jobs}
        missing = tuple(
            Unassigned(job=j.id, reason="no_room") for j in problem.jobs if j.id not in done
        )
        return DaySolution(
            routes=tuple(routes), unassigned=missing, solver=self.identifier, solver_seconds=spent
        )

    @staticmethod
    def _data(problem: DayProblem, required: bool) -> tuple[Any, dict[int, list[PlanProvider]]]:
        import pyvrp

        metres: Any = np.asarray(problem.matrix.metres, dtype=np.int64)
        seconds: Any = np.asarray(problem.matrix.seconds, dtype=np.int64)
        locations = [pyvrp.Location(0, 0) for _ in range(len(metres))]
        counted = any(p.max_jobs for p in problem.providers)
        loaded = any(p.capacity for p in problem.providers)
        prize = int(metres.max()) * 4 + 1 if not required else 0
        clients = []
        for job in problem.jobs:
            amount = ([job.demand] if loaded else []) + ([1] if counted else [])
            clients.append(
                pyvrp.Client(
                    job.location,
                    delivery=amount,
                    service_duration=job.service_s,
                    tw_early=job.window[0],
                    tw_late=job.window[1],
                    required=required,
                    prize=prize,
                )
            )
        depots: dict[int, int] = {}
        for p in problem.providers:
            for loc in (p.start, p.end):
                depots.setdefault(loc, len(depots))
        groups: dict[tuple[object, ...], list[PlanProvider]] = {}
        for p in problem.providers:
            key = (p.start, p.end, p.shift, p.capacity, p.max_jobs)
            groups.setdefault(key, []).append(p)
        types, owners = [], {}
        for index, members in enumerate(groups.values()):
            p = members[0]
            capacity = ([p.capacity or UNLIMITED] if loaded else []) + (
                [p.max_jobs or UNLIMITED] if counted else []
            )
            types.append(
                pyvrp.VehicleType(
                    len(members),
                    capacity=capacity,
                    start_depot=depots[p.start],
                    end_depot=depots[p.end],
                    tw_early=p.shift[0],
                    tw_late=p.shift[1],
                )
            )
            owners[index] = members
        depot_rows = [pyvrp.Depot(loc) for loc in depots]
        data = pyvrp.ProblemData(locations, clients, depot_rows, types, [metres], [seconds])
        return data, owners


class VroomSolver(RouteSolver):
    """VROOM with skills (each needed skill, and a pin as a skill only its provider holds),
    shifts, breaks, capacities and a maximum number of jobs, natively."""

    identifier = "vroom"

    def __init__(self, threads: int = 2, exploration: int | None = None) -> None:
        self.threads = threads
        self.exploration = exploration

    def level(self, jobs: int) -> int:
        if self.exploration is not None:
            return self.exploration
        return 5 if jobs <= 400 else 3 if jobs <= 1000 else 1

    def solve(self, problem: DayProblem, time_limit_s: float) -> DaySolution:
        import vroom

        if not problem.jobs:
            return DaySolution(routes=(), solver=self.identifier)
        skills: dict[str, int] = {}

        def code(name: str) -> int:
            return skills.setdefault(name, len(skills) + 1)

        pinned = {j.provider for j in problem.jobs if j.provider is not None}
        vrp = vroom.Input()
        vrp.set_durations_matrix("car", np.asarray(problem.matrix.seconds, dtype=np.uint32))
        vrp.set_distances_matrix("car", np.asarray(problem.matrix.metres, dtype=np.uint32))
        vrp.set_costs_matrix("car", np.asarray(problem.matrix.metres, dtype=np.uint32))
        loaded = any(p.capacity for p in problem.providers)
        for index, p in enumerate(problem.providers):
            held = {code(s) for s in p.skills} | ({code("@" + p.id)} if p.id in pinned else set())
            vrp.add_vehicle(
                vroom.Vehicle(
                    index,
                    start=p.start,
                    end=p.end,
                    capacity=[p.capacity or UNLIMITED] if loaded else [],
                    skills=held,
                    time_window=vroom.TimeWindow(*p.shift),
                    breaks=[
                        vroom.Break(
                            n, time_windows=[vroom.TimeWindow(*b.window)], service=b.duration_s
                        )
                        for n, b in enumerate(p.breaks)
                    ],
                    max_tasks=p.max_jobs or UNLIMITED,
                )
            )
        for index, job in enumerate(problem.jobs):
            needed = {code(s) for s in job.skills}
            if job.provider is not None:
                needed.add(code("@" + job.provider))
            vrp.add_job(
                vroom.Job(
                    index,
                    location=job.location,
                    default_service=job.service_s,
                    delivery=[job.demand] if loaded else [],
                    skills=needed,
                    priority=100 if job.urgent else 0,
                    time_windows=[vroom.TimeWindow(*job.window)],
                )
            )
        began = time.perf_counter()
        found = vrp.solve(
            exploration_level=self.level(len(problem.jobs)),
            nb_threads=self.threads,
            timeout=timedelta(seconds=time_limit_s),
        )
        spent = time.perf_counter() - began
        steps: dict[int, list[int]] = {}
        for vehicle, kind, ident in found.routes[["vehicle_id", "type", "id"]].itertuples(
            index=False
        ):
            if kind == "job":
                steps.setdefault(int(vehicle), []).append(int(ident))
            elif kind == "break":
                steps.setdefault(int(vehicle), []).append(BREAK)
        routes = tuple(
            timed_route(problem, problem.providers[v], order)
            for v, order in sorted(steps.items())
            if any(s != BREAK for s in order)
        )
        done = {j for r in routes for j in r.jobs}
        missing = tuple(
            Unassigned(job=j.id, reason="no_room") for j in problem.jobs if j.id not in done
        )
        return DaySolution(
            routes=routes, unassigned=missing, solver=self.identifier, solver_seconds=spent
        )


class KitSolver(RouteSolver):
    """Core's default: unservable jobs listed with their reason, then PyVRP or VROOM."""

    identifier = "kit"

    def __init__(self, pyvrp: RouteSolver | None = None, vroom: RouteSolver | None = None) -> None:
        self.plain = pyvrp or PyVrpSolver()
        self.rich = vroom or VroomSolver()

    def choose(self, problem: DayProblem) -> RouteSolver:
        return self.rich if problem.restricted else self.plain

    def solve(self, problem: DayProblem, time_limit_s: float) -> DaySolution:
        reasons = triage(problem)
        rest = _subproblem(problem, reasons) if reasons else problem
        solution = self.choose(rest).solve(rest, time_limit_s)
        listed = tuple(Unassigned(job=j, reason=r) for j, r in reasons.items())
        return DaySolution(
            routes=solution.routes,
            unassigned=listed + solution.unassigned,
            solver=f"{self.identifier}/{solution.solver}",
            solver_seconds=solution.solver_seconds,
        )
