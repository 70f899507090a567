"""The tenant's matching version: the counter every process's candidate index
(``core.matching.index``) keeps itself current by, and the log of what each version changed.

Staleness would silently leave providers out of matching, so every change that can make a
provider a candidate or stop being one calls ``bump_matching_version`` inside the transaction
that makes it (a contract test, ``tests/contracts/test_matching_version.py``, finds writers to
the provider tables that do not). The counter lives in the database (``MatchingVersion``), so
another process's change is seen: a request reads the version first (one query) and the index
catches up when it differs.

Each bump also records which providers it changed (``MatchingChange``; none named: all of
them), so an index a few versions behind reloads just those providers (``changed_since``).
Old entries are pruned (``PRUNE_EVERY``, ``KEEP_VERSIONS``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from core import rawsql
from core.commit_hooks import before_commit
from core.ids import new_id
from core.matching.tables import MatchingChange, MatchingVersion
from core.tenancy import counters

PRUNE_EVERY = 500
"""Every this many versions, a bump deletes the log entries older than ``KEEP_VERSIONS``."""
KEEP_VERSIONS = 50_000
"""Every booking is a version: at 300 bookings a second this keeps almost three minutes, so
a process whose index sat idle that long still patches it instead of building it again
(seconds at 100,000 providers)."""


async def bump_matching_version(tenant_id: Any, *provider_ids: Any, holds: bool = False) -> None:
    """Tell every process's candidate index that these providers of the tenant changed (none
    named: any of them may have). Call inside the write transaction of the change (the same
    commit makes both visible), after it. ``holds=True``: only their bookings changed (made,
    moved, ended): the index keeps their profile and reloads their holds of the days it
    keeps in memory.

    Where the transaction collects work for its commit (``core.commit_hooks``: a web request
    on PostgreSQL, a group of bookings on SQLite), the bump is made once for all of it, just
    before ``COMMIT``: every booking of a tenant updates its one version row. On PostgreSQL
    the row stays locked until the commit, so a bump made mid-request made the tenant's
    bookings wait for each other's whole requests (23 ms a booking, measured)."""
    named: list[str | None] = [*sorted({str(p) for p in provider_ids})] or [None]
    if not holds:
        counters.moved()  # this request reads the providers afresh from now on
    pending = before_commit("matching_version", _PendingBumps)
    if pending is not None:
        pending.add(str(tenant_id), named, holds)
        return
    await _bump(tenant_id, [(p, holds) for p in named])


async def _bump(tenant_id: Any, changes: list[tuple[str | None, bool]]) -> None:
    """A new version of the tenant's row and its change rows (provider, holds only)."""
    # tenant-scope: an upsert of this tenant's own row; row security checks it on PostgreSQL
    rows = await rawsql.run(
        MatchingVersion,
        "INSERT INTO matching_version (id, tenant, version, profile_version) "
        "VALUES ({}, {}, 1, {}) ON CONFLICT (tenant) DO UPDATE SET "
        "version = matching_version.version + 1, "
        "profile_version = matching_version.profile_version + excluded.profile_version "
        "RETURNING version",
        str(uuid.uuid4()),
        str(tenant_id),
        _profiles_changed(changes),
    )
    version = int(rows[0]["version"])
    await rawsql.insert(
        MatchingChange,
        *[{"tenant": tenant_id, "version": version, "provider": p, "holds": h} for p, h in changes],
    )
    await _prune(tenant_id, version)


def _profiles_changed(changes: list[tuple[str | None, bool]]) -> int:
    """1 when a change is more than holds (a profile, skills, checks; or everyone), else 0."""
    return int(any(not holds for _, holds in changes))


async def _prune(tenant_id: Any, version: int) -> None:
    if version % PRUNE_EVERY == 0:
        await MatchingChange.delete().where(
            (MatchingChange.tenant == tenant_id)
            & (MatchingChange.version <= version - KEEP_VERSIONS)
        )


class _PendingBumps:
    """The bumps of one transaction, made as one just before it commits: one new version per
    tenant (on PostgreSQL one statement with its change rows, sent with the ``COMMIT``)."""

    def __init__(self) -> None:
        self.changes: dict[str, set[tuple[str | None, bool]]] = {}

    def add(self, tenant_id: str, named: list[str | None], holds: bool) -> None:
        self.changes.setdefault(tenant_id, set()).update((p, holds) for p in named)

    def _rows(self) -> list[tuple[str, list[tuple[str | None, bool]]]]:
        return [
            (tenant_id, sorted(changes, key=lambda c: (c[0] or "", c[1])))
            for tenant_id, changes in self.changes.items()
        ]

    async def flush(self) -> None:
        """Statement by statement (a SQLite group; on PostgreSQL ``commit_sql`` says it)."""
        for tenant_id, rows in self._rows():
            await _bump(tenant_id, rows)

    def commit_sql(self) -> str | None:
        """On PostgreSQL, ``flush``'s work as one statement a tenant with its values written
        in (ids and flags only, each checked to be one), its pruning folded in: sent with the
        ``COMMIT`` (``CommitHooks.commit``), so the tenant's version row is locked for the
        server's time alone. None on SQLite, whose groups ``flush``."""
        if not rawsql.on_postgres(MatchingChange):
            return None
        return ";\n".join(_bump_sql(tenant_id, rows) for tenant_id, rows in self._rows())


def _uuid_literal(value: Any) -> str:
    return "NULL" if value is None else f"'{uuid.UUID(str(value))}'"


def _bump_sql(tenant_id: str, rows: list[tuple[str | None, bool]]) -> str:
    """One tenant's bump, its change rows and its pruning as one statement with literals."""
    tenant = _uuid_literal(tenant_id)
    ids = ", ".join(_uuid_literal(new_id()) for _ in rows)
    providers = ", ".join(_uuid_literal(p) for p, _ in rows)
    holds = ", ".join("true" if h else "false" for _, h in rows)
    return (
        "WITH bumped AS (INSERT INTO matching_version "  # noqa: S608
        "(id, tenant, version, profile_version) "
        f"VALUES ({_uuid_literal(uuid.uuid4())}, {tenant}, 1, {_profiles_changed(rows)}) "
        "ON CONFLICT (tenant) DO UPDATE SET version = matching_version.version + 1, "
        "profile_version = matching_version.profile_version + excluded.profile_version "
        "RETURNING version), "
        "changed AS (INSERT INTO matching_change (id, tenant, version, provider, holds) "
        f"SELECT c.id, {tenant}, bumped.version, c.provider, c.holds FROM bumped, "
        f"unnest(ARRAY[{ids}]::uuid[], ARRAY[{providers}]::uuid[], ARRAY[{holds}]::boolean[]) "
        "AS c(id, provider, holds)) "
        f"DELETE FROM matching_change WHERE tenant = {tenant} "
        f"AND version <= (SELECT version FROM bumped) - {int(KEEP_VERSIONS)} "
        f"AND (SELECT version FROM bumped) % {int(PRUNE_EVERY)} = 0"
    )


async def matching_version(tenant_id: Any) -> tuple[str, int] | None:
    """The tenant's version: the row's id (a fresh one after the table is emptied) and its
    count; None when nothing was ever bumped."""
    found = await versions(tenant_id)
    return None if found is None else found[0]


async def versions(tenant_id: Any) -> tuple[tuple[str, int], str] | None:
    """The tenant's version (``matching_version``) and its ``providers`` counter as the
    sign-in reads it (``core.tenancy.counters``), from one read; None when nothing was ever
    bumped."""
    row = await rawsql.first(
        MatchingVersion, columns=["id", "version", "profile_version"], tenant=str(tenant_id)
    )
    if row is None:
        return None
    return (str(row["id"]), int(row["version"])), f"{row['id']}:{row['profile_version']}"


@dataclass(frozen=True)
class Changes:
    """What versions since the index's changed: providers (profile, skills, area, status...)
    and providers whose holds alone changed (bookings)."""

    providers: set[str]
    holds: set[str]


CHANGE_INDEX = "matching_change_tenant_version"
"""The change log by (tenant, version): migration ``2026-11-26T11:00`` of the matching app."""


def changes_sql() -> str:
    """The log's rows of one tenant between two versions (placeholders: tenant, after, up to),
    through the (tenant, version) index whatever SQLite's statistics say."""
    return (
        f"SELECT version, {rawsql.text_id('provider', 'provider')}, holds "  # noqa: S608
        f"FROM matching_change{rawsql.indexed_by(MatchingChange, CHANGE_INDEX)} "
        "WHERE tenant = {} AND version > {} AND version <= {}"
    )


async def changed_since(tenant_id: Any, since: int, until: int) -> Changes | None:
    """What versions ``since`` (exclusive) to ``until`` changed; None when one of those
    versions named nobody (everyone) or is no longer in the log."""
    rows = await rawsql.select(MatchingChange, changes_sql(), str(tenant_id), since, until)
    if len({int(r["version"]) for r in rows}) != until - since:
        return None
    if any(r["provider"] is None for r in rows):
        return None
    return Changes(
        providers={str(r["provider"]) for r in rows if not r["holds"]},
        holds={str(r["provider"]) for r in rows if r["holds"]},
    )
