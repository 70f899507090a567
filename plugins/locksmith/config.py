"""The ``verticals.locksmith`` block of a tenant YAML."""

from __future__ import annotations

from typing import Annotated

import msgspec

from core.catalog.schemas import Fen, Hour, VerticalConfig


class LocksmithConfig(VerticalConfig, frozen=True, kw_only=True):
    """Per-tenant settings of the locksmith vertical. Unknown keys are errors."""

    night_surcharge_fen: Fen = 5000
    urgent_surcharge_fen: Fen = 3000
    night_start_hour: Hour = 22
    night_end_hour: Hour = 7
    proof_retention_days: Annotated[int, msgspec.Meta(ge=30, le=3650)] = 180
    """How long the customer's proof of residence or ownership is kept after an unlock
    (30 to 3650 days)."""
