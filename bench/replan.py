"""Urgent-job re-planning on a running day: a field-service day (default 50 providers, 300 jobs)
is planned, then at a moment of the day each of N urgent jobs is inserted into that plan
(independently) with core.dispatch.replan.insert_urgent. Timed per insertion: the travel matrix
rebuilt with the new point plus the insertion. Every result is checked by
core.dispatch.feasibility, and no job planned before may change provider or order, or start
outside its window. Prints one JSON document."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.fieldday import HOUR, SKILLS, field_day, points  # noqa: E402
from core.dispatch.feasibility import violations  # noqa: E402
from core.dispatch.replan import insert_urgent  # noqa: E402
from core.dispatch.schemas import DayProblem, PlanJob, TravelTimeEstimator  # noqa: E402
from core.dispatch.solvers import KitSolver  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--providers", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--urgent", type=int, default=50, help="urgent jobs tried, one by one")
    parser.add_argument("--at", type=float, default=11.0, help="hour of the day it happens")
    parser.add_argument("--plan-time-limit", type=float, default=10.0)
    args = parser.parse_args()

    problem, places = field_day(args.jobs, args.providers)
    began = time.perf_counter()
    plan = KitSolver().solve(problem, args.plan_time_limit)
    planned_in = time.perf_counter() - began
    now = int(args.at * HOUR)
    started = {s.job for r in plan.routes for s in r.stops if s.job and s.start < now}
    before = {r.provider: r.jobs for r in plan.routes}

    rng = random.Random(99)  # noqa: S311
    estimator = TravelTimeEstimator(speed_kmh=25.0)
    timings, placed, broken, moved, disrupted = [], 0, 0, [], 0
    for k in range(args.urgent):
        spot = points(rng, 1, 0.08)[0]
        urgent = PlanJob(
            id=f"urgent{k}",
            location=len(places),
            service_s=3600,
            window=(now, now + 3 * HOUR),
            skills=frozenset({rng.choice(SKILLS)}),
            urgent=True,
        )
        t0 = time.perf_counter()
        matrix = asyncio.run(estimator.matrix([*places, spot]))
        grown = DayProblem(jobs=problem.jobs, providers=problem.providers, matrix=matrix)
        result = insert_urgent(grown, plan, urgent, now, started)
        timings.append(time.perf_counter() - t0)
        broken += len(violations(result.problem, result.solution))
        if result.provider is not None:
            placed += 1
            moved.append(len(result.moved))
        after = {r.provider: [j for j in r.jobs if j != urgent.id] for r in result.solution.routes}
        disrupted += sum(after.get(p, []) != jobs for p, jobs in before.items())

    timings.sort()
    ms = [t * 1000 for t in timings]
    out: dict[str, Any] = {
        "providers": args.providers,
        "jobs": args.jobs,
        "planned_jobs": sum(len(r.jobs) for r in plan.routes),
        "plan_seconds": round(planned_in, 2),
        "at_hour": args.at,
        "started_or_past_jobs": len(started),
        "urgent_tried": args.urgent,
        "urgent_placed": placed,
        "replan_ms": {
            "p50": round(statistics.median(ms), 2),
            "p99": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2),
            "max": round(ms[-1], 2),
        },
        "violations": broken,
        "routes_reordered_or_reassigned": disrupted,
        "jobs_retimed_mean": round(statistics.fmean(moved), 2) if moved else 0,
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
