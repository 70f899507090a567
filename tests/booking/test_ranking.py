"""Ranking the best few equals ranking everyone and keeping the first few.

``core.matching.ranking.rank`` with a ``limit`` looks up checks and acceptance records for
the most promising providers first and stops when nobody left could beat the last one kept.
Whatever the providers, their eligibility and their records, the result must be the head of
the full ranking, and the costly look-ups must not include providers it could skip."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from core.matching.ranking import Free, rank

free_st = st.builds(
    lambda n, minutes, rating, count, quality, load, allowed, record: (
        Free(
            {
                "id": f"p{n:03d}",
                "rating_sum": round(rating * count),
                "rating_count": count,
                "quality_score": quality,
            },
            km=minutes / 3,
            minutes=minutes,
            load_today=load,
            home=None,
        ),
        allowed,
        record,
    ),
    n=st.integers(0, 999),
    minutes=st.sampled_from([0.0, 5.0, 12.5, 30.0, 59.0, 75.0]),
    rating=st.sampled_from([3.5, 4.0, 4.5, 5.0]),
    count=st.integers(0, 40),
    quality=st.sampled_from([0.5, 0.75, 0.9, 1.0]),
    load=st.integers(0, 6),
    allowed=st.booleans(),
    record=st.one_of(st.none(), st.sampled_from([0.0, 0.5, 0.9, 1.0])),
)


async def ranked(
    people: list[tuple[Free, bool, float | None]], limit: int | None, looked_up: list[str]
) -> list[Any]:
    allowed = {f.provider_id for f, ok, _ in people if ok}
    records = {f.provider_id: r for f, _, r in people if r is not None}

    async def eligible(batch: list[Free]) -> list[Free]:
        looked_up.extend(f.provider_id for f in batch)
        return [f for f in batch if f.provider_id in allowed]

    async def reliability(batch: list[Free]) -> dict[str, float]:
        return {f.provider_id: records[f.provider_id] for f in batch if f.provider_id in records}

    found = await rank(
        [f for f, _, _ in people],
        eligible=eligible,
        reliability=reliability,
        adjust=None,
        vertical="housekeeping",
        item_ref="housekeeping.home_cleaning",
        limit=limit,
    )
    return [(c.provider_id, c.score) for c in found]


@settings(max_examples=400, deadline=None)
@given(
    people=st.lists(free_st, min_size=8, max_size=80, unique_by=lambda p: p[0].provider_id),
    limit=st.integers(1, 12),
    batch=st.integers(1, 8),
)
async def test_the_best_few_are_the_head_of_the_whole_ranking(
    people: list[tuple[Free, bool, float | None]], limit: int, batch: int
) -> None:
    everyone: list[str] = []
    few: list[str] = []
    with patch("core.matching.ranking.BATCH", batch):  # small batches: the bound decides often
        best = await ranked(people, limit, few)
    assert best == (await ranked(people, None, everyone))[:limit]
    assert set(few) <= set(everyone)


async def test_the_best_few_skip_looking_up_providers_who_cannot_win() -> None:
    """200 providers, all eligible, the first 40 near: only the first batches are looked up."""
    people = [
        (
            Free(
                {"id": f"p{n:03d}", "rating_sum": 45, "rating_count": 10, "quality_score": 0.8},
                km=1.0,
                minutes=5.0 if n < 40 else 55.0,
                load_today=1,
                home=None,
            ),
            True,
            0.9,
        )
        for n in range(200)
    ]
    looked_up: list[str] = []
    best = await ranked(people, 10, looked_up)
    assert [pid for pid, _ in best] == [f"p{n:03d}" for n in range(10)]
    assert len(looked_up) < 100


async def test_a_tie_with_the_last_one_kept_is_still_looked_at() -> None:
    """Equal scores are ordered by travel, then id: a provider whose best possible score only
    equals the last one kept may still come before it."""
    twins = [
        (
            Free(
                {"id": pid, "rating_sum": 45, "rating_count": 10, "quality_score": 0.8},
                km=1.0,
                minutes=5.0,
                load_today=1,
                home=None,
            ),
            True,
            1.0,
        )
        for pid in ("p002", "p001")
    ]
    with patch("core.matching.ranking.BATCH", 1):
        assert [pid for pid, _ in await ranked(twins, 1, [])] == ["p001"]


@given(
    minutes=st.floats(0, 200),
    rating=st.floats(1, 5),
    count=st.integers(0, 500),
    quality=st.floats(0, 1),
    load=st.integers(0, 12),
)
def test_the_bound_adds_the_points_the_explanation_shows(
    minutes: float, rating: float, count: int, quality: float, load: int
) -> None:
    """The bound ``rank`` sorts by is computed without building the explanation: it must be
    the very sum of the points shown, to the last bit (a different rounding could drop a
    provider who ties with the last one kept)."""
    free = Free(
        {
            "id": "p",
            "rating_sum": round(rating * count),
            "rating_count": count,
            "quality_score": quality,
        },
        km=1.0,
        minutes=minutes,
        load_today=load,
        home=None,
    )
    assert free.known_points() == sum(x.points for x in free.known_factors())
