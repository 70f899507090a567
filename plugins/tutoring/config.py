"""The ``verticals.tutoring`` block of a tenant YAML."""

from __future__ import annotations

from typing import Annotated

import msgspec

from core.catalog.schemas import BasisPoints, Fen, VerticalConfig

PackageSize = Annotated[int, msgspec.Meta(ge=2, le=100)]


class TutoringConfig(VerticalConfig, frozen=True, kw_only=True):
    """Per-tenant settings of tutoring. Unknown keys are errors."""

    trial_lesson_fen: Fen = 9900
    """Fixed price of one trial lesson, whatever the subject and level."""
    package_discounts_bps: dict[PackageSize, BasisPoints] = msgspec.field(
        default_factory=lambda: {10: 500, 20: 1000}
    )
    """Lessons booked together -> discount in basis points (10 lessons: 5 %)."""
    adult_age: Annotated[int, msgspec.Meta(ge=14, le=21)] = 18
    """Students younger than this are minors: a guardian is named, stricter checks apply."""
