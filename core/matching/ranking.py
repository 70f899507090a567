"""Ranking the providers who can come: each one's score, explained factor by factor.

Score = travel (0.35) + Bayesian-smoothed rating (0.25) + quality (0.15) + reliability (0.15)
+ fairness, today's load (0.10), in points (1 point = 0.01) rounded per factor so that the
explanation adds up, plus the plugins' adjustments (``match_score_adjustments``).

Asked for the best few only (``limit``), ``rank`` looks up what is costly per provider (the
checks on the job date, the acceptance record) for the most promising first and stops as soon
as nobody left could beat the last one kept: everything but reliability is known before, and
reliability adds at most ``RELIABILITY_MAX_POINTS``. With a plugin adjusting scores (no bound
known) every provider is looked at.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from core.matching.schemas import MatchCandidate

RATING_PRIOR_MEAN = 4.5
RATING_PRIOR_WEIGHT = 5
WEIGHTS = {"travel": 0.35, "rating": 0.25, "quality": 0.15, "reliability": 0.15, "fairness": 0.10}
RELIABILITY_PRIOR = 0.9
RELIABILITY_MAX_POINTS = round(1.0 * WEIGHTS["reliability"] * 100, 1)
BATCH = 32
"""Providers looked up at once when only the best few are wanted."""


@dataclass(frozen=True)
class Factor:
    name: str
    detail: str
    score: float
    weight: float

    @property
    def points(self) -> float:
        return round(self.score * self.weight * 100, 1)


@dataclass(frozen=True)
class Candidate:
    provider_id: str
    score: float
    travel_minutes: float
    distance_km: float
    factors: list[Factor]
    adjustments: list[tuple[str, float, str]]
    home: tuple[float, float] | None = None
    """Where the provider sets out from when no job comes before (``home_point``)."""


@dataclass(frozen=True)
class Free:
    """A provider free to come (area, hours, time and travel checked), not yet ranked."""

    profile: dict[str, Any]
    km: float
    minutes: float
    load_today: int
    home: tuple[float, float] | None

    @property
    def provider_id(self) -> str:
        return str(self.profile["id"])

    def _scores(self) -> tuple[float, float, float, float, float]:
        """The rating, then the scores of travel, rating, quality and fairness (0..1)."""
        p = self.profile
        rating = (RATING_PRIOR_MEAN * RATING_PRIOR_WEIGHT + p["rating_sum"]) / (
            RATING_PRIOR_WEIGHT + p["rating_count"]
        )
        return (
            rating,
            max(0.0, 1 - self.minutes / 60),
            rating / 5,
            float(p["quality_score"]),
            max(0.0, 1 - self.load_today / 6),
        )

    def known_factors(self) -> list[Factor]:
        """Every factor but reliability."""
        p = self.profile
        rating, travel, rated, quality, fairness = self._scores()
        return [
            Factor("travel", f"{self.minutes:.0f} min", travel, WEIGHTS["travel"]),
            Factor("rating", f"{rating:.2f} ({p['rating_count']})", rated, WEIGHTS["rating"]),
            Factor("quality", f"{p['quality_score']:.2f}", quality, WEIGHTS["quality"]),
            Factor("fairness", f"{self.load_today} jobs today", fairness, WEIGHTS["fairness"]),
        ]

    def known_points(self) -> float:
        """The points of ``known_factors`` added up (the same arithmetic, no explanation)."""
        _, travel, rated, quality, fairness = self._scores()
        return (
            round(travel * WEIGHTS["travel"] * 100, 1)
            + round(rated * WEIGHTS["rating"] * 100, 1)
            + round(quality * WEIGHTS["quality"] * 100, 1)
            + round(fairness * WEIGHTS["fairness"] * 100, 1)
        )


def sort_key(c: Candidate) -> tuple[float, float, str]:
    return (-c.score, c.travel_minutes, c.provider_id)


def candidate(
    free: Free,
    reliability: float,
    adjust: Callable[[MatchCandidate], list[tuple[str, float, str]]] | None,
    vertical: str,
    item_ref: str,
) -> Candidate:
    known = free.known_factors()
    factors = [
        *known[:3],
        Factor("reliability", f"{reliability:.2f}", reliability, WEIGHTS["reliability"]),
        known[3],
    ]
    base = sum(f.score * f.weight for f in factors)
    adjustments = (
        adjust(
            MatchCandidate(
                provider_id=free.provider_id,
                vertical=vertical,
                item=item_ref,
                travel_minutes=free.minutes,
                base_score=base,
            )
        )
        if adjust is not None
        else []
    )
    # The explanation adds up: the score is the sum of the points shown (1 point = 0.01).
    score = (
        sum(f.points for f in factors) + sum(round(d * 100, 1) for _, d, _ in adjustments)
    ) / 100
    return Candidate(
        free.provider_id,
        round(score, 4),
        round(free.minutes, 1),
        round(free.km, 2),
        factors,
        adjustments,
        free.home,
    )


async def rank(
    free: list[Free],
    *,
    eligible: Callable[[list[Free]], Awaitable[list[Free]]],
    reliability: Callable[[list[Free]], Awaitable[dict[str, float]]] | None,
    adjust: Callable[[MatchCandidate], list[tuple[str, float, str]]] | None,
    vertical: str,
    item_ref: str,
    limit: int | None = None,
) -> list[Candidate]:
    """The eligible among ``free``, best first (the best ``limit`` if given). ``eligible``
    keeps those whose checks allow the job; ``reliability`` gives each one's acceptance
    record (None: the prior for everyone)."""

    async def score(batch: list[Free]) -> list[Candidate]:
        kept = await eligible(batch)
        record = await reliability(kept) if reliability is not None and kept else {}
        return [
            candidate(f, record.get(f.provider_id, RELIABILITY_PRIOR), adjust, vertical, item_ref)
            for f in kept
        ]

    if limit is None or adjust is not None:
        every = sorted(await score(free), key=sort_key)
        return every if limit is None else every[:limit]
    most = (
        RELIABILITY_MAX_POINTS
        if reliability is not None
        else round(RELIABILITY_PRIOR * WEIGHTS["reliability"] * 100, 1)
    )

    def upper(f: Free) -> float:
        """No score of ``f`` can be higher (points only grow with reliability)."""
        return round((f.known_points() + most) / 100, 4)

    bounds = sorted(((upper(f), f) for f in free), key=lambda b: -b[0])
    found: list[Candidate] = []
    at = 0
    while at < len(bounds):
        if len(found) >= limit and bounds[at][0] < found[limit - 1].score:
            break
        found += await score([f for _, f in bounds[at : at + BATCH]])
        found.sort(key=sort_key)
        at += BATCH
    return found[:limit]
