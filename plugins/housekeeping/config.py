"""The ``verticals.housekeeping`` block of a tenant YAML."""

from __future__ import annotations

from core.catalog.schemas import Fen, VerticalConfig


class HousekeepingConfig(VerticalConfig, frozen=True, kw_only=True):
    """Per-tenant settings of housekeeping. Unknown keys are errors."""

    minimum_charge_fen: Fen = 8000
    """Smallest amount charged for one visit, whatever the hours or area."""
