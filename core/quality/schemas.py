"""What the quality API sends and receives (camelCase on the wire). Money in fen."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class Api(msgspec.Struct, rename="camel", kw_only=True):
    pass


class CreateComplaintIn(Api):
    booking_id: str
    category: str
    """quality, lateness, damage, rudeness, overcharge, safety."""
    description: str
    channel: str = "booking_page"
    """``booking_page`` or ``chat`` for customers; staff log ``hotline`` calls."""
    photos: list[str] = []
    """JPEG, PNG or WebP images, base64-encoded (at most 6)."""


class MessageIn(Api):
    text: str
    kind: str = "reply"
    """Staff: ``reply`` (to the customer) or ``note`` (staff only); the provider: ``statement``."""


class ResolveIn(Api):
    reply: str
    """The explanation the customer reads."""
    upheld: bool
    reservice_at: datetime | None = None
    """Book a free re-service at this time (with the time zone)."""
    reservice_provider: str = "same"
    """``same``, ``any`` or a provider id."""
    refund_fen: int = 0
    compensation_fen: int = 0
    """From the provider's deposit."""
    penalty: bool = False


class ReasonIn(Api):
    reason: str


class AppealIn(Api):
    text: str


class DecisionIn(Api):
    uphold: bool
    reason: str


class ClockOut(Api):
    due: datetime
    done_at: datetime | None
    state: str
    """met, missed, running, overdue."""


class ComplaintOut(Api):
    id: str
    booking_id: str
    category: str
    channel: str
    status: str
    description: str
    reply: str
    first_response: ClockOut
    resolution: ClockOut
    upheld: bool | None
    outcomes: list[str]
    reservice_booking_id: str | None
    refund_fen: int
    compensation_fen: int
    money_status: str
    reopened: int
    evidence_ids: list[str]
    can_decide: bool
    created_at: datetime


class MessageOut(Api):
    author_role: str
    kind: str
    body: str
    at: datetime
    mine: bool


class ComplaintDetailOut(ComplaintOut):
    thread: list[MessageOut]


class CreatedOut(Api):
    id: str


class StepOut(Api):
    id: str
    level: str
    points: int
    status: str
    starts_at: datetime
    ends_at: datetime | None
    appeal_until: datetime
    appeal_decision: str
    events: list[dict[str, Any]]
    can_appeal: bool


class QualityOut(Api):
    score: float
    excellent: bool
    breakdown: dict[str, Any]
    steps: list[StepOut]
    retraining: list[str]
