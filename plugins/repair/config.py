"""The ``verticals.repair`` block of a tenant YAML."""

from __future__ import annotations

import msgspec


class RepairConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Per-tenant settings of the repair vertical. Unknown keys are errors."""

    disabled_items: list[str] = []
    """Catalogue items this tenant switches off."""
    price_overrides_fen: dict[str, int] = {}
    """Tenant prices per ``item.tier``, in fen; must stay inside the item's price band."""
    call_out_fee_fen: int = 3000
    """Charged for coming to the door, credited against the labour if the job goes ahead."""
    parts_markup_cap_bps: int = 1500
    """Largest markup on parts at cost, in basis points."""
    urgent_surcharge_fen: int = 5000
    night_surcharge_fen: int = 4000
