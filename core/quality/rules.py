"""What the quality services share: the refusal, the categories and the tenant's deadlines."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.tenancy.model import Tenant

CATEGORIES = ("quality", "lateness", "damage", "rudeness", "overcharge", "safety")
CHANNELS = ("booking_page", "chat", "hotline")
OUTCOMES = ("explanation", "reservice", "refund", "compensation", "penalty")
OPEN_STATES = frozenset({"open", "investigating"})
"""A complaint in these states runs against its deadlines."""


class QualityError(Exception):
    """A refused request: the field and the reason (4xx); nothing was changed."""

    def __init__(self, field: str, reason: str, status_code: int = 400) -> None:
        self.field = field
        self.reason = reason
        self.status_code = status_code
        super().__init__(f"{field}: {reason}")


def deadlines(tenant: Tenant, category: str) -> tuple[timedelta, timedelta]:
    """(first response, resolution) for a category: the tenant's per-category block, else the
    tenant-wide defaults."""
    policies = tenant.config.policies
    found = policies.quality.deadlines.get(category)
    if found is not None:
        return timedelta(hours=found.first_response_hours), timedelta(hours=found.resolution_hours)
    return (
        timedelta(hours=policies.complaint_first_response_hours),
        timedelta(hours=policies.complaint_resolution_hours),
    )


def clock(due: datetime, done: datetime | None, now: datetime) -> str:
    """A deadline's state for staff: ``met``, ``missed``, ``running`` or ``overdue``."""
    if done is not None:
        return "met" if done <= due else "missed"
    return "running" if now <= due else "overdue"
