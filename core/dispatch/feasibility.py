"""An independent check of a plan against its problem. It trusts nothing the solver reported
but the order of the stops: it re-times every route from the matrices and lists each broken
rule (empty list: feasible). Used by the benchmark on every solution and by the service before
a plan is stored."""

from __future__ import annotations

from collections import Counter

from core.dispatch.schemas import DayProblem, DaySolution


def violations(problem: DayProblem, solution: DaySolution) -> list[str]:
    jobs = {job.id: job for job in problem.jobs}
    providers = {p.id: p for p in problem.providers}
    found: list[str] = []

    placed = Counter(job for route in solution.routes for job in route.jobs)
    placed.update(u.job for u in solution.unassigned)
    for job_id, times in placed.items():
        if job_id not in jobs:
            found.append(f"{job_id}: not a job of this day")
        elif times > 1:
            found.append(f"{job_id}: planned {times} times")
    found += [f"{j}: neither routed nor listed as unassigned" for j in jobs if j not in placed]

    used = Counter(route.provider for route in solution.routes)
    found += [f"{p}: {n} routes" for p, n in used.items() if n > 1]
    for route in solution.routes:
        provider = providers.get(route.provider)
        if provider is None:
            found.append(f"{route.provider}: not a provider of this day")
            continue
        here, clock, load, count, taken = provider.start, provider.shift[0], 0, 0, 0
        pending: list[tuple[int, int, int]] = []
        for stop in route.stops:
            if not stop.job:
                if taken >= len(provider.breaks):
                    found.append(f"{provider.id}: more breaks than allowed")
                    continue
                pause = provider.breaks[taken]
                pending.append((pause.window[0], pause.window[1], pause.duration_s))
                taken += 1
                continue
            job = jobs.get(stop.job)
            if job is None:
                continue
            clock = _arrive(
                found, provider.id, clock, problem.matrix.seconds[here, job.location], pending
            )
            clock = max(clock, job.window[0])
            if clock > job.window[1]:
                found.append(f"{job.id}: starts {clock}, window closes {job.window[1]}")
            if job.provider is not None and job.provider != provider.id:
                found.append(f"{job.id}: pinned to {job.provider}, routed to {provider.id}")
            if not job.skills <= provider.skills:
                found.append(
                    f"{job.id}: {provider.id} lacks {sorted(job.skills - provider.skills)}"
                )
            clock += job.service_s
            here = job.location
            load += job.demand
            count += 1
        back = _arrive(
            found, provider.id, clock, problem.matrix.seconds[here, provider.end], pending
        )
        if back > provider.shift[1]:
            found.append(f"{provider.id}: back at {back}, shift ends {provider.shift[1]}")
        if provider.capacity and load > provider.capacity:
            found.append(f"{provider.id}: load {load} over capacity {provider.capacity}")
        if provider.max_jobs and count > provider.max_jobs:
            found.append(f"{provider.id}: {count} jobs, at most {provider.max_jobs}")
        if taken < len(provider.breaks) and count:
            found.append(f"{provider.id}: {len(provider.breaks) - taken} break(s) not taken")
    return found


def _arrive(
    found: list[str], who: str, clock: int, travel: object, pending: list[tuple[int, int, int]]
) -> int:
    """A leg with the breaks due on it: each taken as late on the way as its window allows."""
    left = int(travel)  # type: ignore[call-overload]
    for opens, closes, duration in pending:
        start = max(clock, opens, min(clock + left, closes))
        if start > closes:
            found.append(f"{who}: break starts {start} after {closes}")
        left -= min(left, start - clock)
        clock = start + duration
    pending.clear()
    return clock + left
