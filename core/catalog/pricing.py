"""``quote()``: the one place prices are computed. Pure: no database, no clock of its own.

A quote is itemised (base, add-ons, each adjustment with its reason) in integer fen and names
the price-list version it used, so it can be reproduced later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import msgspec

from core.catalog.model import TenantCatalog
from core.catalog.schemas import IntakeField, QuoteRequest, ServiceItem, ServiceTier
from core.money import Money

LocalizedText = dict[str, str]
URGENT_WITHIN = timedelta(hours=2)
PAST_GRACE = timedelta(minutes=5)
TEXT_MAX = 200


class QuoteProblem(msgspec.Struct, frozen=True):
    field: str
    reason: str


class QuoteError(Exception):
    """The request cannot be priced; every problem names the field it is about."""

    def __init__(self, problems: list[QuoteProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in problems))


class QuoteLine(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    kind: Literal["base", "addon", "adjustment"]
    label: LocalizedText
    amount_fen: int


class Quote(msgspec.Struct, frozen=True, kw_only=True):
    item: str
    tier: str
    intake: dict[str, Any]
    addons: list[str]
    when: datetime | None
    urgent: bool
    unit_price_fen: int
    quantity: int
    lines: list[QuoteLine]
    total_fen: int
    currency: str
    duration_minutes: int
    price_list_version: int


def applicable_fields(
    item: ServiceItem, tier: ServiceTier, extra: list[IntakeField]
) -> list[IntakeField]:
    return [f for f in [*item.intake, *extra] if not f.only_tiers or tier.key in f.only_tiers]


def clean_intake(fields: list[IntakeField], given: Mapping[str, Any]) -> dict[str, Any]:
    """Validate intake answers; raise QuoteError naming each bad ``intake.<key>``."""
    problems: list[QuoteProblem] = []
    known = {f.key for f in fields}
    clean: dict[str, Any] = {}
    for key in given:
        if key not in known:
            problems.append(QuoteProblem(f"intake.{key}", "not asked for this service"))
    for spec in fields:
        where = f"intake.{spec.key}"
        value = given.get(spec.key)
        if value is None or value == "":
            if spec.required and spec.default is None:
                problems.append(QuoteProblem(where, "is required"))
            elif spec.default is not None:
                clean[spec.key] = spec.default
            continue
        if spec.kind == "int":
            number = _as_int(value)
            if number is None:
                problems.append(QuoteProblem(where, "must be a whole number"))
            elif spec.minimum is not None and number < spec.minimum:
                problems.append(QuoteProblem(where, f"must be at least {spec.minimum}"))
            elif spec.maximum is not None and number > spec.maximum:
                problems.append(QuoteProblem(where, f"must be at most {spec.maximum}"))
            else:
                clean[spec.key] = number
        elif spec.kind == "bool":
            if not isinstance(value, bool):
                problems.append(QuoteProblem(where, "must be true or false"))
            else:
                clean[spec.key] = value
        elif spec.kind == "choice":
            if not isinstance(value, str) or value not in spec.choices:
                allowed = ", ".join(spec.choices)
                problems.append(QuoteProblem(where, f"must be one of: {allowed}"))
            else:
                clean[spec.key] = value
        else:
            text = str(value).strip() if isinstance(value, str | int) else None
            if text is None or len(text) > TEXT_MAX:
                problems.append(
                    QuoteProblem(where, f"must be text of at most {TEXT_MAX} characters")
                )
            elif text:
                clean[spec.key] = text
    if problems:
        raise QuoteError(problems)
    return clean


_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,18}")


def _as_int(value: Any) -> int | None:
    """A whole number, also when typed as text ("120"); anything else is None, never a crash
    ("--120", "²" and 5,000 digits are all refused)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        return int(value.strip())
    return None


def quote(
    catalog: TenantCatalog,
    hooks: Any,
    *,
    item: str,
    tier: str,
    intake: Mapping[str, Any],
    when: datetime | None,
    now: datetime,
    addons: list[str] | None = None,
    prices: Mapping[str, int] | None = None,
    price_list_version: int = 0,
    currency: str = "CNY",
    visit_others_fen: int = 0,
    visit_last: bool = True,
) -> Quote:
    """Price one service for one tenant.

    ``hooks`` is the tenant's ``TenantHooks``; ``prices`` maps tier refs to the tenant's current
    list prices (missing ones fall back to the catalogue's). ``visit_others_fen`` and
    ``visit_last``: this item's place in a booking of several (``QuoteRequest``; the catalogue's
    ``quote_visit`` sets them). Raises ``QuoteError``.
    """
    service = catalog.item(item)
    if service is None:
        raise QuoteError([QuoteProblem("item", f"unknown service {item!r}")])
    level = service.tier(tier)
    if level is None:
        known = ", ".join(t.key for t in service.tiers)
        raise QuoteError([QuoteProblem("tier", f"unknown tier {tier!r} (offered: {known})")])
    problems: list[QuoteProblem] = []
    if when is not None and when.tzinfo is None:
        problems.append(QuoteProblem("when", "must include a time zone"))
    elif when is not None and when < now - PAST_GRACE:
        problems.append(QuoteProblem("when", "is in the past"))
    chosen = list(dict.fromkeys(addons or []))
    offered = {a.key: a for a in service.addons}
    for key in chosen:
        if key not in offered:
            problems.append(QuoteProblem(f"addons.{key}", "not offered with this service"))
    extra_fields = [f for fields in hooks.intake_fields(item=service) for f in fields or []]
    try:
        answers = clean_intake(applicable_fields(service, level, extra_fields), intake)
    except QuoteError as exc:
        problems += exc.problems
        answers = {}
    if problems:
        raise QuoteError(problems)
    when = when.astimezone(UTC) if when is not None else None  # stored and compared in UTC

    quantity = int(answers.get(level.quantity_field, 1)) if level.quantity_field else 1
    unit_price = (prices or {}).get(f"{service.ref}.{level.key}", level.price_fen)
    request = QuoteRequest(
        item=service,
        tier=level,
        intake=answers,
        when=when,
        urgent=when is not None and when - now <= URGENT_WITHIN,
        addons=chosen,
        unit_price_fen=unit_price,
        quantity=quantity,
        visit_others_fen=visit_others_fen,
        visit_last=visit_last,
    )
    base: Money | None = hooks.base_price(request=request)
    if base is None:
        raise QuoteError([QuoteProblem("item", "this service cannot be priced here")])
    lines = [QuoteLine(code="base", kind="base", label=level.label, amount_fen=base.amount_fen)]
    lines += [
        QuoteLine(
            code=f"addon.{key}",
            kind="addon",
            label=offered[key].label,
            amount_fen=offered[key].price_fen,
        )
        for key in chosen
    ]
    subtotal = Money(sum(line.amount_fen for line in lines), currency)
    adjustments = [
        a for found in hooks.price_adjustments(request=request, base=subtotal) for a in found or []
    ]
    for adjustment in sorted(adjustments, key=lambda a: (a.priority, a.code)):
        lines.append(
            QuoteLine(
                code=adjustment.code,
                kind="adjustment",
                label=adjustment.reason,
                amount_fen=adjustment.amount.amount_fen,
            )
        )
    total = sum(line.amount_fen for line in lines)
    if total < 0:
        raise QuoteError([QuoteProblem("item", "adjustments would make the price negative")])
    minutes = (
        level.duration_minutes
        + level.minutes_per_unit * quantity
        + sum(offered[k].duration_minutes for k in chosen)
    )
    return Quote(
        item=service.ref,
        tier=level.key,
        intake=answers,
        addons=chosen,
        when=when,
        urgent=request.urgent,
        unit_price_fen=unit_price,
        quantity=quantity,
        lines=lines,
        total_fen=total,
        currency=currency,
        duration_minutes=minutes,
        price_list_version=price_list_version,
    )


class QuoteChange(msgspec.Struct, frozen=True, kw_only=True):
    """How a final price differs from the upfront quote, line by line."""

    increase_fen: int
    added: list[QuoteLine]
    changed: list[tuple[QuoteLine, QuoteLine]]
    removed: list[QuoteLine]

    @property
    def needs_customer_approval(self) -> bool:
        """The anti-up-sell guard: any increase needs the customer's explicit approval."""
        return self.increase_fen > 0


def compare_quotes(upfront: Quote, final: Quote) -> QuoteChange:
    """Itemise what changed between the upfront quote and the final price."""
    before = {line.code: line for line in upfront.lines}
    after = {line.code: line for line in final.lines}
    return QuoteChange(
        increase_fen=final.total_fen - upfront.total_fen,
        added=[line for code, line in after.items() if code not in before],
        changed=[
            (before[code], line)
            for code, line in after.items()
            if code in before and before[code].amount_fen != line.amount_fen
        ],
        removed=[line for code, line in before.items() if code not in after],
    )
