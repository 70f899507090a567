"""Booking values seen by plugins: drafts to validate, and events to observe."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class BookingDraft(msgspec.Struct, frozen=True, kw_only=True):
    """A booking about to be created: what, when (aware UTC), the intake answers."""

    vertical: str
    item: str
    tier: str
    starts_at: datetime
    intake: dict[str, Any] = {}


class ValidationProblem(msgspec.Struct, frozen=True, kw_only=True):
    field: str
    """Field the problem is about, as the client named it (``intake.area_m2``)."""
    reason: str


class BookingEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A state transition that happened (already committed)."""

    event_id: str
    booking_id: str
    vertical: str
    from_state: str
    to_state: str
    at: datetime
    actor_role: str
