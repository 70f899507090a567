"""The ``verticals.locksmith`` block of a tenant YAML."""

from __future__ import annotations

from core.catalog.schemas import VerticalConfig


class LocksmithConfig(VerticalConfig, frozen=True, kw_only=True):
    """Per-tenant settings of the locksmith vertical. Unknown keys are errors."""

    night_surcharge_fen: int = 5000
    urgent_surcharge_fen: int = 3000
    night_start_hour: int = 22
    night_end_hour: int = 7
    proof_retention_days: int = 180
    """How long the customer's proof of residence or ownership is kept after an unlock."""

    def __post_init__(self) -> None:
        if not 30 <= self.proof_retention_days <= 3650:
            raise ValueError("proof_retention_days must be between 30 and 3650")
