"""The wall clock of the payment code (one place, so signatures and windows agree)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
