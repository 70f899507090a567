"""Values the catalogue and pricing hooks exchange. Frozen; hooks return new values."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import msgspec

from core.money import Money

LocalizedText = dict[str, str]


class Vertical(msgspec.Struct, frozen=True, kw_only=True):
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


class IntakeField(msgspec.Struct, frozen=True, kw_only=True):
    """A question asked when booking an item (area in m2, lock type, the child's grade)."""

    key: str
    label: LocalizedText
    kind: Literal["int", "decimal", "choice", "text", "bool"]
    required: bool = True
    minimum: int | None = None
    maximum: int | None = None
    choices: dict[str, LocalizedText] = {}
    unit: str = ""


class ServiceTier(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    label: LocalizedText
    contents: list[LocalizedText] = []
    excluded: list[LocalizedText] = []
    duration_minutes: int
    price_min_fen: int
    price_max_fen: int
    unit: Literal["visit", "hour", "m2", "piece"] = "visit"


class ServiceItem(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    vertical: str
    label: LocalizedText
    tiers: list[ServiceTier]
    required_skills: list[str] = []
    required_certifications: list[str] = []
    intake: list[IntakeField] = []
    addons: list[str] = []


class Category(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    vertical: str
    label: LocalizedText
    items: list[ServiceItem] = []


class QuoteRequest(msgspec.Struct, frozen=True, kw_only=True):
    """What is being priced: an item and tier, the intake answers, and when (aware UTC)."""

    item: ServiceItem
    tier: str
    intake: dict[str, Any] = {}
    when: datetime | None = None
    addons: list[str] = []


class PriceAdjustment(msgspec.Struct, frozen=True, kw_only=True):
    """One explicit change to a price, applied by core in ``priority`` order, never a fold."""

    code: str
    """Stable id, prefixed by the plugin slug (``repair.night_surcharge``)."""
    reason: LocalizedText
    amount: Money
    priority: int = 100
