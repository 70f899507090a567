"""The ``verticals.locksmith`` block of a tenant YAML."""

from __future__ import annotations

import msgspec


class LocksmithConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Per-tenant settings of the locksmith vertical. Unknown keys are errors."""

    disabled_items: list[str] = []
    """Catalogue items this tenant switches off."""
    price_overrides_fen: dict[str, int] = {}
    """Tenant prices per ``item.tier``, in fen; must stay inside the item's price band."""
    night_surcharge_fen: int = 5000
    urgent_surcharge_fen: int = 3000
    proof_retention_days: int = 180
    """How long the customer's proof of residence or ownership is kept after an unlock."""
