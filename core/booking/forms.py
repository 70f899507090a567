"""What the booking pages share: reading a service's answers from a query or a form, and
turning the services' refusals into wording the pages translate."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as default
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar.datastructures import FormMultiDict, MultiDict

from core.booking.service import ItemRequest
from core.catalog.pricing import QuoteProblem
from core.catalog.schemas import ServiceItem
from core.tenancy.model import Tenant

TRUE = frozenset({"on", "true", "1", "yes"})
REVIEW_TAGS = ("on_time", "thorough", "friendly", "professional", "tidy")
"""The tags a customer picks on the review form (apps may send their own)."""


Params = MultiDict[Any] | FormMultiDict
"""A query string or a posted form."""


def one(params: Params, name: str) -> str:
    value = params.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def item_from(params: Params, item: ServiceItem) -> ItemRequest:
    """The tier, the answers that apply to it (typed as the questions ask) and the add-ons."""
    tier = one(params, "tier") or item.tiers[0].key
    intake: dict[str, Any] = {}
    for question in item.intake:
        if question.only_tiers and tier not in question.only_tiers:
            continue
        raw = one(params, question.key)
        if question.kind == "bool":
            intake[question.key] = raw.lower() in TRUE
        elif raw == "":
            continue
        elif question.kind == "int":
            intake[question.key] = int(raw) if re.fullmatch(r"-?\d{1,9}", raw) else raw
        else:
            intake[question.key] = raw
    addons = [a for a in params.getall("addon", []) if isinstance(a, str) and a]
    return ItemRequest(item=item.ref, tier=tier, intake=intake, addons=addons)


def carried(wanted: ItemRequest) -> list[tuple[str, str]]:
    """The answers as hidden fields / query pairs, so the next step asks nothing again."""
    pairs = [("tier", wanted.tier)]
    for key, value in wanted.intake.items():
        if isinstance(value, bool):
            if value:
                pairs.append((key, "on"))
        else:
            pairs.append((key, str(value)))
    pairs += [("addon", a) for a in wanted.addons]
    return pairs


def local_day(value: str, fallback: date) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return fallback


def moment(value: str) -> datetime | None:
    """An ISO 8601 time with its zone, as the page sent it; None for anything else."""
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        return None
    return found.astimezone(UTC) if found.tzinfo else None


def local_moment(tenant: Tenant, value: str) -> datetime | None:
    """``2026-11-27T14:00`` typed in a time field, in the tenant's time zone."""
    if not value:
        return None
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        return None
    if found.tzinfo is None:
        found = found.replace(tzinfo=ZoneInfo(tenant.config.timezone))
    return found.astimezone(UTC)


# --- refusals, in words the pages translate -----------------------------------------------------


@dataclass(frozen=True)
class Wording:
    """A message id of the core catalogue and its values (``_(msgid, **params)``)."""

    field: str
    msgid: str
    params: dict[str, Any] = default(default_factory=dict)


PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"you are (?P<distance>\d+) m from the address; check in within (?P<radius>\d+) m"
        ),
        "You are %(distance)s m from the address; check in within %(radius)s m.",
    ),
    (
        re.compile(r"outside service hours: choose a time between (?P<start>\S+) and (?P<end>\S+)"),
        "Outside service hours: choose a time between %(start)s and %(end)s.",
    ),
    (
        re.compile(r"book at least (?P<minutes>\d+) minutes ahead"),
        "Book at least %(minutes)s minutes ahead.",
    ),
    (
        re.compile(r"a booking that is \w+ cannot (?:become \w+|be moved)"),
        "This booking has moved on; reload the page to see what you can do now.",
    ),
    (re.compile(r"a \w+ cannot move a booking from \w+ to \w+"), "You cannot do this here."),
)
"""Reasons with numbers or states in them; every other reason is its own message id."""


def wording(field_name: str, reason: str) -> Wording:
    for pattern, msgid in PATTERNS:
        found = pattern.fullmatch(reason)
        if found:
            return Wording(field_name, msgid, found.groupdict())
    return Wording(field_name, reason)


def wordings(problems: Sequence[QuoteProblem]) -> list[Wording]:
    return [wording(p.field, p.reason) for p in problems]
