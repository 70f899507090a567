"""Route solvers on the Solomon VRPTW instances (100 customers), a field-service day and a
city-scale day. Every solution is checked by core.dispatch.feasibility (an independent re-timing
of each route); prints one JSON document.

Solvers, each with the same time budget per instance:
  kit     core's default RouteSolver (KitSolver: triage, then PyVRP on plain VRPTW days)
  vroom   raw pyvroom (exploration 5, 2 threads, timeout = budget)
  ortools raw OR-Tools routing (path cheapest arc + guided local search, time limit = budget)
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import platform
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.fieldday import field_day  # noqa: E402
from core.dispatch.feasibility import violations  # noqa: E402
from core.dispatch.schedule import timed_route  # noqa: E402
from core.dispatch.schemas import (  # noqa: E402
    DayProblem,
    DaySolution,
    PlanJob,
    PlanProvider,
    TravelMatrix,
    Unassigned,
)
from core.dispatch.solvers import KitSolver  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "solomon"
SCALE = 1000
"""Distances and times x1000, rounded (vroom-scripts' convention; never 1-decimal truncation)."""
DEFAULT_INSTANCES = ("C101", "C201", "R101", "R201", "RC101", "RC201")


class Instance:
    def __init__(self, path: Path) -> None:
        self.name = path.stem
        lines = path.read_text().splitlines()
        vehicles = next(i for i, line in enumerate(lines) if line.strip().startswith("VEHICLE"))
        fleet, capacity = (int(x) for x in lines[vehicles + 2].split())
        rows = [
            [float(x) for x in line.split()]
            for line in lines[vehicles + 3 :]
            if line.strip() and line.split()[0].isdigit()
        ]
        self.fleet, self.capacity = fleet, capacity
        self.xy = np.array([(r[1], r[2]) for r in rows])
        self.rows = rows
        exact = np.sqrt(((self.xy[:, None, :] - self.xy[None, :, :]) ** 2).sum(axis=2))
        self.exact = exact
        scaled = np.rint(exact * SCALE).astype(np.int64)
        depot = rows[0]
        horizon = (int(depot[4]) * SCALE, int(depot[5]) * SCALE)
        jobs = tuple(
            PlanJob(
                id=str(int(r[0])),
                location=i,
                service_s=int(r[6]) * SCALE,
                window=(int(r[4]) * SCALE, int(r[5]) * SCALE),
                demand=int(r[3]),
            )
            for i, r in enumerate(rows)
            if i > 0
        )
        providers = tuple(
            PlanProvider(id=f"v{k}", start=0, end=0, shift=horizon, capacity=capacity)
            for k in range(fleet)
        )
        self.problem = DayProblem(
            jobs=jobs, providers=providers, matrix=TravelMatrix(seconds=scaled, metres=scaled)
        )

    def distance(self, solution: DaySolution) -> float:
        """Total distance in double precision, from the coordinates."""
        where = {j.id: j.location for j in self.problem.jobs}
        total = 0.0
        for route in solution.routes:
            path = [0, *(where[j] for j in route.jobs), 0]
            total += sum(self.exact[a, b] for a, b in itertools.pairwise(path))
        return total

    def from_orders(self, orders: list[list[int]], solver: str, spent: float) -> DaySolution:
        """Job indexes per route (raw solvers' output) -> a solution the checker reads."""
        routes = tuple(
            timed_route(self.problem, self.problem.providers[k], order)
            for k, order in enumerate(o for o in orders if o)
        )
        done = {j for r in routes for j in r.jobs}
        missing = tuple(
            Unassigned(job=j.id, reason="no_room") for j in self.problem.jobs if j.id not in done
        )
        return DaySolution(routes=routes, unassigned=missing, solver=solver, solver_seconds=spent)


def run_kit(instance: Instance, budget: float) -> tuple[DaySolution, float]:
    began = time.perf_counter()
    solution = KitSolver().solve(instance.problem, budget)
    return solution, time.perf_counter() - began


def run_vroom(instance: Instance, budget: float) -> tuple[DaySolution, float]:
    import vroom

    p = instance.problem
    began = time.perf_counter()
    vrp = vroom.Input()
    vrp.set_durations_matrix("car", np.asarray(p.matrix.seconds, dtype=np.uint32))
    for k, v in enumerate(p.providers):
        vrp.add_vehicle(
            vroom.Vehicle(
                k, start=0, end=0, capacity=[v.capacity], time_window=vroom.TimeWindow(*v.shift)
            )
        )
    for k, j in enumerate(p.jobs):
        vrp.add_job(
            vroom.Job(
                k,
                location=j.location,
                default_service=j.service_s,
                delivery=[j.demand],
                time_windows=[vroom.TimeWindow(*j.window)],
            )
        )
    found = vrp.solve(exploration_level=5, nb_threads=2, timeout=timedelta(seconds=budget))
    spent = time.perf_counter() - began
    orders: dict[int, list[int]] = {}
    for vehicle, kind, ident in found.routes[["vehicle_id", "type", "id"]].itertuples(index=False):
        if kind == "job":
            orders.setdefault(int(vehicle), []).append(int(ident))
    return instance.from_orders(list(orders.values()), "vroom", spent), spent


def run_ortools(instance: Instance, budget: float) -> tuple[DaySolution, float]:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    p = instance.problem
    began = time.perf_counter()
    matrix = np.asarray(p.matrix.seconds)
    n = len(p.jobs) + 1
    service = [0] + [j.service_s for j in p.jobs]
    demand = [0] + [j.demand for j in p.jobs]
    manager = pywrapcp.RoutingIndexManager(n, len(p.providers), 0)
    routing = pywrapcp.RoutingModel(manager)

    def dist(a: int, b: int) -> int:
        return int(matrix[manager.IndexToNode(a), manager.IndexToNode(b)])

    def clock(a: int, b: int) -> int:
        i = manager.IndexToNode(a)
        return int(matrix[i, manager.IndexToNode(b)]) + service[i]

    def load(a: int) -> int:
        return demand[manager.IndexToNode(a)]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(dist))
    horizon = p.providers[0].shift[1]
    routing.AddDimension(routing.RegisterTransitCallback(clock), horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for k, j in enumerate(p.jobs, start=1):
        time_dim.CumulVar(manager.NodeToIndex(k)).SetRange(*j.window)
    for v in range(len(p.providers)):
        time_dim.CumulVar(routing.Start(v)).SetRange(0, horizon)
        time_dim.CumulVar(routing.End(v)).SetRange(0, horizon)
    routing.AddDimensionWithVehicleCapacity(
        routing.RegisterUnaryTransitCallback(load),
        0,
        [v.capacity for v in p.providers],
        True,
        "load",
    )
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(budget * 1000))
    found = routing.SolveWithParameters(params)
    spent = time.perf_counter() - began
    orders: list[list[int]] = []
    if found is not None:
        for v in range(len(p.providers)):
            index, order = routing.Start(v), []
            while not routing.IsEnd(index):
                node = manager.IndexToNode(index)
                if node:
                    order.append(node - 1)
                index = found.Value(routing.NextVar(index))
            orders.append(order)
    return instance.from_orders(orders, "ortools", spent), spent


RUNNERS = {"kit": run_kit, "vroom": run_vroom, "ortools": run_ortools}


def best_known() -> dict[str, dict[str, Any]]:
    with (DATA / "bks_solomon_100.csv").open() as f:
        return {row["instance"]: row for row in csv.DictReader(f)}


def pick(names: list[str]) -> list[Path]:
    every = sorted(DATA.glob("*.txt"), key=lambda p: (p.stem.rstrip("0123456789"), p.stem))
    if names == ["all"]:
        return every
    return [p for p in every if any(p.stem == n or p.stem.rstrip("0123456789") == n for n in names)]


def solomon(args: argparse.Namespace) -> dict[str, Any]:
    bks = best_known()
    rows: list[dict[str, Any]] = []
    for path in pick(args.instances):
        instance = Instance(path)
        reference = float(bks[instance.name]["dist_bks_distance"])
        for name in args.solvers:
            solution, wall = RUNNERS[name](instance, args.time_limit)
            broken = violations(instance.problem, solution)
            total = instance.distance(solution)
            feasible = not broken and not solution.unassigned
            gap = round((total / reference - 1) * 100, 3) + 0.0 if feasible else None
            rows.append(
                {
                    "instance": instance.name,
                    "class": bks[instance.name]["class"],
                    "solver": name,
                    "feasible": feasible,
                    "violations": broken[:3],
                    "vehicles": len(solution.routes),
                    "distance": round(total, 2),
                    "bks": reference,
                    "gap_pct": gap,
                    "seconds": round(wall, 3),
                    "solver_seconds": round(solution.solver_seconds or wall, 3),
                }
            )
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    summary: dict[str, Any] = {}
    for name in args.solvers:
        mine = [r for r in rows if r["solver"] == name]
        families = sorted({r["class"] for r in mine})
        summary[name] = {
            "overall": _stats(mine),
            "by_class": {c: _stats([r for r in mine if r["class"] == c]) for c in families},
        }
        if name == "kit":
            wrap = [r["seconds"] - r["solver_seconds"] for r in mine]
            inner = sum(r["solver_seconds"] for r in mine)
            summary[name]["wrapping_overhead_pct"] = round(100 * sum(wrap) / inner, 3)
    return {"instances": rows, "summary": summary}


def _stats(rows: list[dict[str, Any]]) -> dict[str, Any]:
    gaps = [r["gap_pct"] for r in rows if r["gap_pct"] is not None]
    return {
        "instances": len(rows),
        "feasible": sum(r["feasible"] for r in rows),
        "mean_gap_pct_of_feasible": round(statistics.fmean(gaps), 3) if gaps else None,
        "worst_gap_pct": max(gaps) if gaps else None,
        "mean_seconds": round(statistics.fmean(r["seconds"] for r in rows), 3) if rows else None,
    }


def field(jobs: int, providers: int, budget: float) -> dict[str, Any]:
    problem, _ = field_day(jobs, providers)
    began = time.perf_counter()
    solution = KitSolver().solve(problem, budget)
    wall = time.perf_counter() - began
    broken = violations(problem, solution)
    reasons: dict[str, int] = {}
    for u in solution.unassigned:
        reasons[u.reason] = reasons.get(u.reason, 0) + 1
    return {
        "jobs": jobs,
        "providers": providers,
        "time_limit_s": budget,
        "solver": solution.solver,
        "seconds": round(wall, 2),
        "routed": sum(len(r.jobs) for r in solution.routes),
        "unassigned": reasons,
        "violations": len(broken),
        "skill_violations": sum("lacks" in v for v in broken),
        "shift_violations": sum("shift ends" in v or "break" in v for v in broken),
        "window_violations": sum("window closes" in v for v in broken),
        "travel_km": round(solution.metres / 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--instances",
        nargs="+",
        default=list(DEFAULT_INSTANCES),
        help="names (C101), classes (RC2) or 'all' (56 instances)",
    )
    parser.add_argument("--solvers", nargs="+", default=list(RUNNERS), choices=list(RUNNERS))
    parser.add_argument("--time-limit", type=float, default=5.0, help="seconds per instance")
    parser.add_argument("--field-jobs", type=int, default=200)
    parser.add_argument("--field-providers", type=int, default=25)
    parser.add_argument("--field-time-limit", type=float, default=5.0)
    parser.add_argument("--city-jobs", type=int, default=2000, help="0: skip the city day")
    parser.add_argument("--city-providers", type=int, default=200)
    parser.add_argument("--city-time-limit", type=float, default=45.0)
    args = parser.parse_args()

    result: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
        "time_limit_s": args.time_limit,
        "solomon": solomon(args) if args.instances != ["none"] else None,
        "field_service": field(args.field_jobs, args.field_providers, args.field_time_limit)
        if args.field_jobs
        else None,
        "city": field(args.city_jobs, args.city_providers, args.city_time_limit)
        if args.city_jobs
        else None,
    }
    print(json.dumps(result, indent=1))


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


if __name__ == "__main__":
    main()
