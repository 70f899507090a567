"""From an order of stops to a timed route: the earliest schedule (wait when early), the one
every solver adapter reports, so plans from different solvers read the same.

A break sits between two stops and is taken on the way: the provider travels as far as the
break's window allows, pauses, then goes on (VROOM's reading of a break between two tasks)."""

from __future__ import annotations

from collections.abc import Sequence

from core.dispatch.schemas import DayProblem, PlanBreak, PlannedRoute, PlanProvider, Stop

BREAK = -1
"""A step that is the provider's next break rather than a job (jobs are indexes >= 0)."""


def travel_with_breaks(
    clock: int, travel: int, pauses: Sequence[PlanBreak]
) -> tuple[int, list[int]]:
    """Leave at ``clock`` on a leg of ``travel`` seconds, taking ``pauses`` on the way:
    (arrival, start of each pause). A pause whose window has closed still gets a start (after
    its window: the caller's check says so)."""
    starts = []
    for pause in pauses:
        start = max(clock, pause.window[0], min(clock + travel, pause.window[1]))
        travel -= min(travel, start - clock)
        starts.append(start)
        clock = start + pause.duration_s
    return clock + travel, starts


def timed_route(problem: DayProblem, provider: PlanProvider, steps: Sequence[int]) -> PlannedRoute:
    """``steps`` are job indexes in visiting order, ``BREAK`` for the provider's next break.
    The route leaves as late as it can without delaying its first stop, never before the
    shift starts."""
    seconds, metres = problem.matrix.seconds, problem.matrix.metres
    breaks = iter(provider.breaks)
    here, clock = provider.start, provider.shift[0]
    stops: list[Stop] = []
    pending: list[PlanBreak] = []
    travel = distance = 0

    def go(to: int) -> int:
        nonlocal travel, distance
        leg = int(seconds[here, to])
        travel += leg
        distance += int(metres[here, to])
        arrival, starts = travel_with_breaks(clock, leg, pending)
        stops.extend(
            Stop(arrival=s, start=s, end=s + p.duration_s)
            for s, p in zip(starts, pending, strict=True)
        )
        pending.clear()
        return arrival

    for step in steps:
        if step == BREAK:
            pending.append(next(breaks))
            continue
        job = problem.jobs[step]
        arrival = go(job.location)
        start = max(arrival, job.window[0])
        stops.append(Stop(job=job.id, arrival=arrival, start=start, end=start + job.service_s))
        here, clock = job.location, start + job.service_s
    back = go(provider.end)
    depart = provider.shift[0]
    if stops and stops[0].job:
        first = stops[0]
        depart += first.start - first.arrival
        stops[0] = Stop(job=first.job, arrival=first.start, start=first.start, end=first.end)
    working = sum(s.end - s.start for s in stops)
    return PlannedRoute(
        provider=provider.id,
        stops=tuple(stops),
        depart=depart,
        back=back,
        metres=distance,
        travel_s=travel,
        idle_s=max(0, back - depart - travel - working),
    )
