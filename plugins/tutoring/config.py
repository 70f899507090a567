"""The ``verticals.tutoring`` block of a tenant YAML."""

from __future__ import annotations

import msgspec


class TutoringConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Per-tenant settings of the tutoring vertical. Unknown keys are errors."""

    disabled_items: list[str] = []
    """Catalogue items this tenant switches off."""
    price_overrides_fen: dict[str, int] = {}
    """Tenant prices per ``item.tier``, in fen; must stay inside the item's price band."""
    trial_lesson_fen: int = 9900
    package_discount_bps: int = 1000
    """Discount on a lesson package, in basis points."""
