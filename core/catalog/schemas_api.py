"""What the catalogue API sends and receives (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

LocalizedText = dict[str, str]


class Api(msgspec.Struct, rename="camel", kw_only=True):
    pass


class TierOut(Api):
    key: str
    label: LocalizedText
    unit: str
    price_fen: int
    price_min_fen: int
    price_max_fen: int
    duration_minutes: int
    minutes_per_unit: int
    quantity_field: str
    contents: list[LocalizedText]
    excluded: list[LocalizedText]


class IntakeFieldOut(Api):
    key: str
    label: LocalizedText
    kind: str
    required: bool
    minimum: int | None
    maximum: int | None
    choices: dict[str, LocalizedText]
    unit: str
    only_tiers: list[str]
    default: int | str | bool | None


class AddOnOut(Api):
    key: str
    label: LocalizedText
    price_fen: int
    duration_minutes: int


class RequirementOut(Api):
    code: str
    label: LocalizedText


class PriceChangeOut(Api):
    tier: str
    old_fen: int | None
    new_fen: int
    effective_at: datetime


class ServiceSummary(Api):
    ref: str
    vertical: str
    category: str
    label: LocalizedText
    description: LocalizedText
    from_price_fen: int
    unit: str


class CategoryOut(Api):
    key: str
    vertical: str
    label: LocalizedText
    services: list[ServiceSummary]


class ServiceOut(Api):
    ref: str
    vertical: str
    key: str
    label: LocalizedText
    description: LocalizedText
    tiers: list[TierOut]
    intake: list[IntakeFieldOut]
    addons: list[AddOnOut]
    requirements: list[RequirementOut]
    price_list_version: int
    recent_price_changes: list[PriceChangeOut]


class QuoteIn(Api, forbid_unknown_fields=True):
    item: str
    """``<vertical>.<item>``, e.g. ``housekeeping.home_cleaning``."""
    tier: str
    intake: dict[str, Any] = {}
    addons: list[str] = []
    when: datetime | None = None
    """Requested start with a time zone (ISO 8601)."""


class QuoteLineOut(Api):
    code: str
    kind: str
    label: LocalizedText
    amount_fen: int


class QuoteOut(Api):
    item: str
    tier: str
    intake: dict[str, Any]
    addons: list[str]
    when: datetime | None
    urgent: bool
    unit_price_fen: int
    quantity: int
    lines: list[QuoteLineOut]
    total_fen: int
    currency: str
    duration_minutes: int
    price_list_version: int
    total_text: str = ""
    """The total formatted for the request's language (for display only)."""


class ProblemOut(Api):
    field: str
    reason: str


class ProblemsOut(Api):
    status_code: int
    detail: str
    problems: list[ProblemOut]
