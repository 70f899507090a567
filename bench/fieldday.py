"""A synthetic field-service day for the routing benchmarks: jobs across a city, each needing
one of five skills; providers holding two or three, with shifts, a lunch break and their own
start points. Deterministic for a seed."""

from __future__ import annotations

import random

import numpy as np

from core.dispatch.schemas import (
    DayProblem,
    PlanBreak,
    PlanJob,
    PlanProvider,
    TravelMatrix,
    TravelTimeEstimator,
)

SKILLS = ("clean", "repair", "tutor", "lock", "aircon")
CENTRE = (31.2304, 121.4737)
HOUR = 3600
SHIFTS = ((8 * HOUR, 17 * HOUR), (9 * HOUR, 18 * HOUR), (11 * HOUR, 20 * HOUR))


def points(rng: random.Random, n: int, radius_deg: float) -> list[tuple[float, float]]:
    return [
        (
            CENTRE[0] + rng.uniform(-radius_deg, radius_deg),
            CENTRE[1] + rng.uniform(-radius_deg, radius_deg) * 1.15,
        )
        for _ in range(n)
    ]


def field_day(
    jobs: int, providers: int, seed: int = 7
) -> tuple[DayProblem, list[tuple[float, float]]]:
    """``jobs`` jobs and ``providers`` providers in a city (radius ~ scales with size).
    Locations: providers' homes first, then the jobs."""
    rng = random.Random(seed)  # noqa: S311
    radius = 0.08 if jobs <= 400 else 0.2
    homes = points(rng, providers, radius)
    sites = points(rng, jobs, radius)
    people = []
    for i in range(providers):
        shift = SHIFTS[i % len(SHIFTS)]
        held = frozenset(rng.sample(SKILLS, 2 + (i % 2)))
        people.append(
            PlanProvider(
                id=f"p{i}",
                start=i,
                end=i,
                shift=shift,
                skills=held,
                max_jobs=12,
                breaks=(PlanBreak(window=(11 * HOUR + 1800, 13 * HOUR + 1800), duration_s=1800),),
            )
        )
    work = []
    for k in range(jobs):
        begin = rng.randrange(8 * HOUR, 17 * HOUR, 1800)
        work.append(
            PlanJob(
                id=f"j{k}",
                location=providers + k,
                service_s=rng.choice((30, 45, 60, 90)) * 60,
                window=(begin, begin + 2 * HOUR),
                skills=frozenset({rng.choice(SKILLS)}),
            )
        )
    everything = homes + sites
    matrix = _matrix(everything)
    return DayProblem(jobs=tuple(work), providers=tuple(people), matrix=matrix), everything


def _matrix(places: list[tuple[float, float]]) -> TravelMatrix:
    import asyncio

    estimate = TravelTimeEstimator(speed_kmh=25.0)
    found = asyncio.run(estimate.matrix(places))
    return TravelMatrix(seconds=np.asarray(found.seconds), metres=np.asarray(found.metres))
