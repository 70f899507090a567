"""Values plugins see when they adjust a candidate's ranking."""

from __future__ import annotations

import msgspec


class MatchCandidate(msgspec.Struct, frozen=True, kw_only=True):
    provider_id: str
    vertical: str
    item: str
    travel_minutes: float
    base_score: float


class ScoreAdjustment(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    """Prefixed by the plugin slug; shown in the score explanation."""
    delta: float
    reason: str
