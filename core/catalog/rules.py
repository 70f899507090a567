"""Small pricing rules verticals share (time of day in the tenant's zone, basis points)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def is_night(when: datetime | None, timezone: str, start_hour: int, end_hour: int) -> bool:
    """Whether ``when`` falls in the night window [start_hour, end_hour) in local time."""
    if when is None:
        return False
    hour = when.astimezone(ZoneInfo(timezone)).hour
    if start_hour <= end_hour:
        return start_hour <= hour < end_hour
    return hour >= start_hour or hour < end_hour


def share_of(amount_fen: int, basis_points: int) -> int:
    """``amount x bps / 10000`` rounded half up, in integer arithmetic (never float)."""
    return (amount_fen * basis_points + 5_000) // 10_000
