"""The ``verticals.tutoring`` block of a tenant YAML."""

from __future__ import annotations

import msgspec

from core.catalog.schemas import VerticalConfig


class TutoringConfig(VerticalConfig, frozen=True, kw_only=True):
    """Per-tenant settings of tutoring. Unknown keys are errors."""

    trial_lesson_fen: int = 9900
    """Fixed price of one trial lesson, whatever the subject and level."""
    package_discounts_bps: dict[int, int] = msgspec.field(
        default_factory=lambda: {10: 500, 20: 1000}
    )
    """Lessons booked together -> discount in basis points (10 lessons: 5 %)."""
    adult_age: int = 18
    """Students younger than this are minors: a guardian is named, stricter checks apply."""
