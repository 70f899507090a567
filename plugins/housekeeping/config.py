"""The ``verticals.housekeeping`` block of a tenant YAML."""

from __future__ import annotations

import msgspec


class HousekeepingConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Per-tenant settings of the housekeeping vertical. Unknown keys are errors."""

    disabled_items: list[str] = []
    """Catalogue items this tenant switches off."""
    price_overrides_fen: dict[str, int] = {}
    """Tenant prices per ``item.tier``, in fen; must stay inside the item's price band."""
    minimum_charge_fen: int = 8000
    """Smallest amount charged for one visit, whatever the hours or area."""
