"""The versioned price list: prices in force, their recent changes, and writing new versions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine

from core import rawsql
from core.catalog.model import TenantCatalog
from core.catalog.pricing import QuoteError, QuoteProblem
from core.catalog.tables import PriceListVersion, TierPrice
from core.db import write_transaction
from core.tenancy import counters
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, tenant_transaction
from core.tenancy.service import tenant_row_id
from core.tenancy.tables import TenantRow

CHANGE_NOTICE_DAYS = 30


@dataclass(frozen=True)
class PriceChange:
    tier_ref: str
    old_fen: int | None
    new_fen: int
    effective_at: datetime


@dataclass(frozen=True)
class PriceList:
    version: int
    prices: dict[str, int]
    """Tier ref -> list price in fen (tiers never changed in the database are absent)."""
    recent_changes: list[PriceChange]


async def _tenant_id(tenant: Tenant) -> Any:
    found = await tenant_row_id(tenant.slug)
    if found is None:
        raise LookupError(f"tenant {tenant.slug!r} has no row yet: run 'doorstep migrate'")
    return found


async def price_list(tenant: Tenant, now: datetime, version: int | None = None) -> PriceList:
    """Prices in force at ``now`` (or as of ``version``, to reproduce an old quote)."""
    tenant_id = await _tenant_id(tenant)
    async with tenant_transaction(tenant_id):
        every = await _versions_of(str(tenant_id))
        versions = [
            v
            for v in every
            if (v["number"] <= version if version is not None else v["effective_at"] <= now)
        ]
        if not versions:
            return PriceList(version=0, prices={}, recent_changes=[])
        since = now - timedelta(days=CHANGE_NOTICE_DAYS)
        # The list depends on ``now`` only through which versions are in force and which
        # are recent: the same answer for every request until one of those changes.
        key = (str(tenant_id), tuple((str(v["id"]), v["effective_at"] >= since) for v in versions))
        found = _lists.get(key)
        if found is not None:
            return found
        rows = await _tier_prices(tenant_id, [v["id"] for v in versions])
    made = _made(versions, rows, since)
    if len(_lists) >= _LISTS_MAX:
        _lists.clear()
    _lists[key] = made
    return made


async def _versions_of(tenant_id: str) -> list[dict[str, Any]]:
    """The tenant's price versions (id, number, effective time): those kept in memory while
    the request's ``prices`` counter (``core.tenancy.counters``) names the newest of them,
    else read (and kept)."""
    newest = counters.seen("prices")
    kept = _versions.get(tenant_id)
    if newest is not None and kept is not None and kept[0] == newest:
        return kept[1]
    every = await rawsql.every(
        PriceListVersion, columns=["id", "number", "effective_at"], tenant=tenant_id
    )
    if every:
        if len(_versions) >= _LISTS_MAX:
            _versions.clear()
        _versions[tenant_id] = (str(max(every, key=lambda v: v["number"])["id"]), every)
    return every


_versions: dict[str, tuple[str, list[dict[str, Any]]]] = {}
"""By tenant: the newest version's id and every version (versions are only ever added, so
the newest names them all)."""

_lists: dict[tuple[str, tuple[tuple[str, bool], ...]], PriceList] = {}
"""Price lists made, by tenant and by the versions they were made of (each in force, and
whether it is recent): versions never change once written, so neither does the list."""
_LISTS_MAX = 1024


def _made(versions: list[dict[str, Any]], rows: list[dict[str, Any]], since: datetime) -> PriceList:
    """The price list of ``versions`` (in force) from their tier prices ``rows``."""
    by_id = {v["id"]: v for v in versions}
    prices: dict[str, tuple[int, int]] = {}
    changes: list[PriceChange] = []
    for row in rows:
        v = by_id.get(row["version"])
        if v is None:
            continue
        if row["tier_ref"] not in prices or prices[row["tier_ref"]][0] < v["number"]:
            prices[row["tier_ref"]] = (v["number"], row["price_fen"])
        if v["effective_at"] >= since and row["previous_fen"] not in (None, row["price_fen"]):
            changes.append(
                PriceChange(
                    row["tier_ref"], row["previous_fen"], row["price_fen"], v["effective_at"]
                )
            )
    latest = {ref: price for ref, (_, price) in prices.items()}
    newest_first = sorted(changes, key=lambda c: c.effective_at, reverse=True)
    # Only the latest change of each tier is news; an older one was superseded.
    latest_change: dict[str, PriceChange] = {}
    for change in newest_first:
        latest_change.setdefault(change.tier_ref, change)
    recent = list(latest_change.values())
    return PriceList(
        version=max(v["number"] for v in versions), prices=latest, recent_changes=recent
    )


_version_rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
"""The tier prices of each price-list version: a version is written with its prices in one
transaction and never changed, so they are read once per process. The versions themselves are
read on every call: a new version (a price change, from any process) is seen at once."""


async def _tier_prices(tenant_id: Any, version_ids: list[Any]) -> list[dict[str, Any]]:
    keys = [(str(tenant_id), str(v)) for v in version_ids]
    missing = [v for v, key in zip(version_ids, keys, strict=True) if key not in _version_rows]
    if missing:
        fetched: dict[tuple[str, str], list[dict[str, Any]]] = {
            (str(tenant_id), str(v)): [] for v in missing
        }
        for row in (
            await scoped(TierPrice, tenant_id)
            .select(
                TierPrice.version, TierPrice.tier_ref, TierPrice.price_fen, TierPrice.previous_fen
            )
            .where(TierPrice.version.is_in(missing))
        ):
            fetched[(str(tenant_id), str(row["version"]))].append(row)
        _version_rows.update(fetched)
    return [row for key in keys for row in _version_rows[key]]


async def change_prices(
    tenant: Tenant,
    catalog: TenantCatalog,
    changes: Mapping[str, int],
    *,
    actor: str,
    reason: str,
    source: str = "admin",
    effective_at: datetime | None = None,
    now: datetime | None = None,
) -> int:
    """Write a new price-list version. Every price must stay inside its tier's band.

    Raises ``QuoteError`` naming each bad ``prices.<tier ref>``; nothing is saved then.
    Returns the new version number (0 when nothing actually changed).
    """
    now = now or datetime.now(UTC)
    effective_at = effective_at or now
    problems = []
    if not reason.strip():
        problems.append(QuoteProblem("reason", "say why the prices change"))
    for ref, fen in changes.items():
        found = catalog.tier(ref)
        if found is None:
            problems.append(QuoteProblem(f"prices.{ref}", "no such service tier"))
            continue
        tier = found[1]
        if isinstance(fen, bool) or not isinstance(fen, int):
            problems.append(QuoteProblem(f"prices.{ref}", "must be a whole number of fen"))
        elif not tier.price_min_fen <= fen <= tier.price_max_fen:
            problems.append(
                QuoteProblem(
                    f"prices.{ref}",
                    f"{fen} fen is outside the band {tier.price_min_fen}-{tier.price_max_fen} fen",
                )
            )
    if problems:
        raise QuoteError(problems)
    tenant_id = await _tenant_id(tenant)
    async with tenant_transaction(tenant_id), write_transaction():
        await _lock_price_list(tenant_id)
        current = await price_list(tenant, now=max(now, effective_at))
        listed = catalog.list_prices()
        real = {
            ref: fen
            for ref, fen in changes.items()
            if current.prices.get(ref, listed.get(ref)) != fen
        }
        if not real:
            return 0
        return await _write_version(
            tenant_id,
            {ref: (fen, current.prices.get(ref, listed.get(ref))) for ref, fen in real.items()},
            effective_at=effective_at,
            source=source,
            actor=actor,
            reason=reason.strip(),
        )


async def sync_config_prices(tenant: Tenant, catalog: TenantCatalog, now: datetime) -> int:
    """Record the YAML's list prices as a version when they differ from the last config one.

    Run at migrate and start-up (by every process: two running at once record one version).
    Admin edits since then stay in force unless the YAML changes again. Returns the version
    written, or 0.
    """
    tenant_id = await _tenant_id(tenant)
    wanted = catalog.list_prices()
    async with tenant_transaction(tenant_id), write_transaction():
        await _lock_price_list(tenant_id)
        rows = await (
            scoped(TierPrice, tenant_id)
            .select(TierPrice.tier_ref, TierPrice.price_fen, TierPrice.version.number)
            .where(TierPrice.version.source == "config")
        )
        if not rows:
            # First sync: the catalogue's prices are version 1, recorded in full.
            return await _write_version(
                tenant_id,
                {ref: (fen, None) for ref, fen in wanted.items()},
                effective_at=now,
                source="config",
                actor="tenant configuration",
                reason="initial price list",
            )
        last_config: dict[str, int] = {}
        for row in sorted(rows, key=lambda r: r["version.number"]):
            last_config[row["tier_ref"]] = row["price_fen"]
        changed = {ref: fen for ref, fen in wanted.items() if last_config.get(ref) != fen}
        if not changed:
            return 0
        current = await price_list(tenant, now=now)
        return await _write_version(
            tenant_id,
            {ref: (fen, current.prices.get(ref)) for ref, fen in changed.items()},
            effective_at=now,
            source="config",
            actor="tenant configuration",
            reason="tenant configuration changed",
        )


async def _lock_price_list(tenant_id: Any) -> None:
    """Serialise price-list writes of one tenant until the transaction ends.

    SQLite already has one writer (``write_transaction``); elsewhere the tenant's row is locked,
    so two writers never both read version N and write N+1 (the unique index would refuse the
    second; this makes it wait and take N+2 instead).
    """
    if isinstance(TenantRow._meta.db, SQLiteEngine):
        return
    await TenantRow.select(TenantRow.id).where(TenantRow.id == tenant_id).lock_rows("UPDATE")


async def _write_version(
    tenant_id: Any,
    prices: Mapping[str, tuple[int, int | None]],
    *,
    effective_at: datetime,
    source: str,
    actor: str,
    reason: str,
) -> int:
    """Write the next version with ``tier ref -> (price, previous price)``; inside a locked
    write transaction. Returns its number."""
    last = (
        await scoped(PriceListVersion, tenant_id)
        .select(PriceListVersion.number)
        .order_by(PriceListVersion.number, ascending=False)
        .first()
    )
    number = (last["number"] if last else 0) + 1
    counters.moved()  # this request reads the versions afresh from now on
    version = PriceListVersion(
        tenant=tenant_id,
        number=number,
        effective_at=effective_at,
        source=source,
        actor=actor[:120],
        reason=reason,
    )
    await scoped(PriceListVersion, tenant_id).insert(version)
    await scoped(TierPrice, tenant_id).insert(
        *[
            TierPrice(
                tenant=tenant_id,
                version=version.id,
                tier_ref=ref,
                price_fen=fen,
                previous_fen=previous,
            )
            for ref, (fen, previous) in sorted(prices.items())
        ]
    )
    return number
