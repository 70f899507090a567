"""Values the catalogue and pricing hooks exchange. Frozen; hooks return new values.

References are dotted strings: an item is ``<vertical>.<item>``, a tier
``<vertical>.<item>.<tier>``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from core.money import Money

LocalizedText = dict[str, str]
Unit = Literal["visit", "hour", "m2", "piece", "lesson"]

# Types of tenant settings: a wrong value is refused when the YAML is read, naming its key.
Fen = Annotated[int, msgspec.Meta(ge=0)]
"""An amount of money in fen, never negative."""
BasisPoints = Annotated[int, msgspec.Meta(ge=0, le=10_000)]
"""A share in basis points: 0 (nothing) to 10000 (all of it)."""
Hour = Annotated[int, msgspec.Meta(ge=0, le=23)]
"""An hour of the day in the tenant's time zone."""


class Frozen(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base of catalogue values: frozen, keyword-only, unknown keys rejected when parsed."""


class Vertical(Frozen, frozen=True, kw_only=True):
    """What a vertical plugin declares about itself (``register_vertical``)."""

    slug: str
    """Owner prefix of everything the plugin owns: tables, check ids, templates, URLs."""
    label: LocalizedText
    """Name shown to people, per locale; ``zh_CN`` and ``en`` at least."""
    config_type: type[msgspec.Struct]
    """Typed config block a tenant writes under ``verticals.<slug>`` (frozen, strict)."""
    templates_dir: Path | None = None
    """Folder holding ``templates/<slug>/...``; searched after themes, before core."""
    locale_dir: Path | None = None
    """Folder of ``<locale>/LC_MESSAGES/messages.po``; merged after core's catalog."""
    icon: str = ""


class IntakeField(Frozen, frozen=True, kw_only=True):
    """A question asked when booking an item (area in m2, lock type, the child's grade)."""

    key: str
    label: LocalizedText
    kind: Literal["int", "choice", "text", "bool"]
    required: bool = True
    minimum: int | None = None
    maximum: int | None = None
    choices: dict[str, LocalizedText] = {}
    unit: str = ""
    only_tiers: list[str] = []
    """Asked only for these tiers (empty: every tier)."""
    default: int | str | bool | None = None
    help: LocalizedText = {}


class AddOn(Frozen, frozen=True, kw_only=True):
    """An extra the customer may add to an item (window cleaning, dust-mite removal)."""

    key: str
    label: LocalizedText
    price_fen: int
    duration_minutes: int = 0
    contents: list[LocalizedText] = []


class ServiceTier(Frozen, frozen=True, kw_only=True):
    """A level of an item with its own contents and price band (daily / deep / move-in)."""

    key: str
    label: LocalizedText
    unit: Unit = "visit"
    price_fen: int
    """List price per unit, in fen; a tenant may change it inside the band."""
    price_min_fen: int
    price_max_fen: int
    quantity_field: str = ""
    """Intake key giving the number of units (``area_m2``, ``hours``); empty means one."""
    duration_minutes: int
    """Time on site for one unit of quantity-free work, or the fixed part of the estimate."""
    minutes_per_unit: int = 0
    contents: list[LocalizedText] = []
    """The checklist the provider follows and the customer sees."""
    excluded: list[LocalizedText] = []
    """What is explicitly not included."""


class ServiceItem(Frozen, frozen=True, kw_only=True):
    key: str
    vertical: str = ""
    label: LocalizedText
    description: LocalizedText = {}
    tiers: list[ServiceTier]
    required_skills: list[str] = []
    required_certifications: list[str] = []
    intake: list[IntakeField] = []
    addons: list[AddOn] = []
    tags: list[str] = []
    """Plugin-defined markers, e.g. ``unlock`` or ``electrical``."""

    @property
    def ref(self) -> str:
        return f"{self.vertical}.{self.key}"

    def tier(self, key: str) -> ServiceTier | None:
        return next((t for t in self.tiers if t.key == key), None)


class Category(Frozen, frozen=True, kw_only=True):
    key: str
    vertical: str = ""
    label: LocalizedText
    items: list[ServiceItem] = []


class ExtraItem(Frozen, frozen=True, kw_only=True):
    """An item a tenant adds in YAML, without code (priced per unit x quantity)."""

    category: str
    category_label: LocalizedText = {}
    item: ServiceItem


class VerticalConfig(Frozen, frozen=True, kw_only=True):
    """Fields every vertical's tenant block has; plugin configs subclass this."""

    disabled_items: list[str] = []
    """Item keys this tenant switches off."""
    price_overrides_fen: dict[str, int] = {}
    """Tenant list prices per ``item.tier``, in fen; must stay inside the tier's band."""
    extra_items: list[ExtraItem] = []
    """The tenant's own items."""


class QuoteRequest(Frozen, frozen=True, kw_only=True):
    """What is being priced, as core has validated it. Plugins price from this alone."""

    item: ServiceItem
    tier: ServiceTier
    intake: dict[str, Any] = {}
    when: datetime | None = None
    """Requested start, aware UTC."""
    urgent: bool = False
    """The customer wants someone within two hours."""
    addons: list[str] = []
    unit_price_fen: int
    """The tenant's current list price per unit for this tier."""
    quantity: int = 1
    visit_others_fen: int = 0
    """Several items in one booking (one visit): what the visit's items priced before this one
    come to, adjustments included. 0 for a booking of one item."""
    visit_last: bool = True
    """Whether this is the visit's last (or only) item: charges that apply once per visit (a
    minimum charge, a call-out fee) go on it, judged on ``visit_others_fen`` + this item."""


class PriceAdjustment(Frozen, frozen=True, kw_only=True):
    """One explicit change to a price, applied by core in ``priority`` order, never a fold."""

    code: str
    """Stable id, prefixed by the plugin slug (``repair.night_surcharge``)."""
    reason: LocalizedText
    amount: Money
    priority: int = 100
