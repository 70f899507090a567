"""The ``verticals.repair`` block of a tenant YAML."""

from __future__ import annotations

from core.catalog.schemas import BasisPoints, Fen, Hour, VerticalConfig


class RepairConfig(VerticalConfig, frozen=True, kw_only=True):
    """Per-tenant settings of home repair. Unknown keys are errors."""

    call_out_fee_fen: Fen = 3000
    """Charged for coming to the door and diagnosing."""
    parts_markup_bps: BasisPoints = 1000
    """Markup on parts bought at cost, in basis points; never above ``parts_markup_cap_bps``."""
    parts_markup_cap_bps: BasisPoints = 1500
    urgent_surcharge_fen: Fen = 5000
    """Added when the customer wants someone within two hours."""
    night_surcharge_fen: Fen = 4000
    night_start_hour: Hour = 22
    """Local hour (tenant time zone) from which the night surcharge applies."""
    night_end_hour: Hour = 7

    def __post_init__(self) -> None:
        if self.parts_markup_bps > self.parts_markup_cap_bps:
            raise ValueError("parts_markup_bps must not exceed parts_markup_cap_bps")
