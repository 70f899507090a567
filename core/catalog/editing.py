"""Editing a tenant's prices by hand (the admin console and the CLI).

Amounts are typed in yuan, effective times in the tenant's time zone; the history lists every
price-list version with who made it. The price rules themselves (bands, versions) stay in
``core.catalog.price_lists.change_prices``.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from core.accounts.tables import User
from core.catalog.tables import PriceListVersion, TierPrice
from core.privacy import service as privacy
from core.privacy.masking import mask_email
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, tenant_transaction
from core.tenancy.service import tenant_row_id

AMOUNT = re.compile(r"(\d{1,7})(?:\.(\d{1,2}))?")
"""Yuan with at most two decimals (fen): ``9``, ``9.5``, ``10.00``; up to ¥9,999,999.99."""
CURRENCY_SIGNS = "¥￥$€£ "
PAST_GRACE = timedelta(minutes=5)
"""An effective time this close to now counts as now (the form was opened a moment ago)."""
CLI_ACTOR = "cli"
CONFIG_ACTOR = "tenant configuration"


def parse_amount(text: str) -> int | None:
    """``"9.00"`` (or ``¥9``, full-width ``９．５``) -> fen; None if it is not an amount."""
    cleaned = unicodedata.normalize("NFKC", text).strip().lstrip(CURRENCY_SIGNS).strip()
    found = AMOUNT.fullmatch(cleaned)
    if found is None:
        return None
    return int(Decimal(cleaned) * 100)


def amount_text(fen: int) -> str:
    """``900`` -> ``"9.00"``: what the editor's input shows (no currency sign, no grouping)."""
    return f"{fen // 100}.{fen % 100:02d}"


class EffectiveTimeError(ValueError):
    """``code`` is ``format`` (not a date and time) or ``past`` (before now)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def effective_time(text: str, timezone: str, now: datetime) -> datetime | None:
    """When typed prices take effect: None (at once) for an empty text.

    A time without an offset (what a ``datetime-local`` input sends) is in the tenant's zone.
    A time in the past is refused: it would rewrite which prices were in force back then.
    """
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise EffectiveTimeError(
            "format", f"{text!r} is not a date and time like 2026-03-10T09:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    if moment < now - PAST_GRACE:
        raise EffectiveTimeError("past", "must not be in the past (prices change from now on)")
    return moment if moment > now else None


# --- history ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierChange:
    tier_ref: str
    old_fen: int | None
    """None when the version set the tier's first price (the initial price list)."""
    new_fen: int


@dataclass(frozen=True)
class VersionEntry:
    number: int
    effective_at: datetime
    recorded_at: datetime
    source: str
    """``config`` (the tenant YAML) or ``admin`` (the console or the CLI)."""
    by: str
    """``config``, ``cli``, ``staff`` (``who`` is the masked email) or ``other``."""
    who: str
    reason: str
    changes: list[TierChange]


@dataclass(frozen=True)
class History:
    versions: list[VersionEntry]
    total: int
    """Versions of the tenant in all (for paging)."""


async def price_history(
    tenant: Tenant, *, limit: int = 20, offset: int = 0, number: int | None = None
) -> History:
    """The tenant's price-list versions, newest first, each with what it changed (only
    version ``number`` if given)."""
    tenant_id = await tenant_row_id(tenant.slug)
    if tenant_id is None:
        return History(versions=[], total=0)
    async with tenant_transaction(tenant_id):
        total = await scoped(PriceListVersion, tenant_id).count()
        query = scoped(PriceListVersion, tenant_id).select(
            PriceListVersion.id,
            PriceListVersion.number,
            PriceListVersion.effective_at,
            PriceListVersion.created_at,
            PriceListVersion.source,
            PriceListVersion.actor,
            PriceListVersion.reason,
        )
        if number is not None:
            query = query.where(PriceListVersion.number == number)
        rows = (
            await query.order_by(PriceListVersion.number, ascending=False)
            .limit(limit)
            .offset(offset)
        )
        changes: dict[str, list[TierChange]] = {}
        if rows:
            tiers = await (
                scoped(TierPrice, tenant_id)
                .select(
                    TierPrice.version,
                    TierPrice.tier_ref,
                    TierPrice.price_fen,
                    TierPrice.previous_fen,
                )
                .where(TierPrice.version.is_in([r["id"] for r in rows]))
            )
            for tier in sorted(tiers, key=lambda t: t["tier_ref"]):
                changes.setdefault(str(tier["version"]), []).append(
                    TierChange(tier["tier_ref"], tier["previous_fen"], tier["price_fen"])
                )
        names = await _staff_names(tenant_id, [r["actor"] for r in rows])
    versions = []
    for row in rows:
        by, who = _who(row["source"], row["actor"], names)
        versions.append(
            VersionEntry(
                number=row["number"],
                effective_at=row["effective_at"],
                recorded_at=row["created_at"],
                source=row["source"],
                by=by,
                who=who,
                reason=row["reason"],
                changes=changes.get(str(row["id"]), []),
            )
        )
    return History(versions=versions, total=total)


async def version_summary(tenant: Tenant, number: int) -> VersionEntry | None:
    """One version of the tenant (the confirmation after saving), or None."""
    found = await price_history(tenant, limit=1, number=number)
    return found.versions[0] if found.versions else None


async def scheduled_prices(tenant: Tenant, now: datetime) -> dict[str, tuple[int, datetime]]:
    """Tier ref -> (price, from when) for changes saved with an effective time after ``now``."""
    tenant_id = await tenant_row_id(tenant.slug)
    if tenant_id is None:
        return {}
    async with tenant_transaction(tenant_id):
        rows = await (
            scoped(TierPrice, tenant_id)
            .select(
                TierPrice.tier_ref,
                TierPrice.price_fen,
                TierPrice.version.number,
                TierPrice.version.effective_at,
            )
            .where(TierPrice.version.effective_at > now)
        )
    found: dict[str, tuple[int, datetime]] = {}
    for row in sorted(rows, key=lambda r: r["version.number"]):
        found[row["tier_ref"]] = (row["price_fen"], row["version.effective_at"])
    return found


def _who(source: str, actor: str, names: dict[str, str]) -> tuple[str, str]:
    if source == "config":
        return "config", ""
    if actor == CLI_ACTOR:
        return "cli", ""
    if actor in names:
        return "staff", names[actor]
    # Not a staff id (e.g. written by a script): never show a clear email address.
    return "other", mask_email(actor) if "@" in actor else actor


async def _staff_names(tenant_id: Any, actors: list[str]) -> dict[str, str]:
    """Actor (a user id) -> masked email, for this tenant's staff and the agency's operators."""
    ids = set()
    for actor in actors:
        try:
            ids.add(str(uuid.UUID(actor)))
        except ValueError:
            continue
    if not ids:
        return {}
    # This tenant's staff, and operators (no tenant); another tenant's user is never named.
    rows = await (
        scoped(User, tenant_id, with_shared=True)
        .select(User.id, User.tenant, User.email_enc)
        .where(User.id.is_in(list(ids)))
    )
    names = {}
    for row in rows:
        owner = row["tenant"]
        if not row["email_enc"]:
            continue
        email = privacy.unseal(row["email_enc"], field="user.email", tenant_id=owner)
        names[str(row["id"])] = mask_email(email)
    return names
