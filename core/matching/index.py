"""The in-memory candidate index: which providers might serve a point, per tenant and skill.

Matching used to ask the database for every provider of the tenant near the job (a scan of
``providers_profile``). Each process now keeps, per tenant, the providers' service areas
(circle and districts) and skills in numpy arrays, and a request asks the database only about
the providers the index names. The index narrows by skill and area and nothing else: status,
suspended skills, checks on the job date, working hours and free time are still decided on
fresh rows by ``core.matching.service.find_candidates``.

Staleness would silently leave providers out, so the index carries the tenant's matching
version (``core.matching.version``): every change that can make a provider a candidate or stop being
one calls ``bump_matching_version`` inside the transaction that makes it (a contract test,
``tests/contracts/test_matching_version.py``, finds writers to the provider tables that do
not). A request reads the version first (one query) and rebuilds the index when it differs from
the one the index was built at; the counter lives in the database, so another process's change
is seen. A tenant without a version row yet (data loaded around the services) is matched
through the database alone.

Each bump also records which providers it changed (``MatchingChange``; none named: all of
them). An index a few versions behind reloads just those providers' rows and patches its
arrays, instead of reading the whole tenant again (seconds at 100,000 providers): it rebuilds
only when a version names nobody, when many providers changed at once, or when the log no
longer holds every version since its own (old entries are pruned).
"""

from __future__ import annotations

import asyncio
import gc
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from core import rawsql
from core.matching.days import DaySchedules
from core.matching.queries import PROFILE_COLUMNS, prepared
from core.matching.vector import haversine
from core.matching.version import changed_since, versions
from core.providers.tables import ProviderProfile, ProviderSkill
from core.tenancy import counters

SLACK_KM = 1e-6
"""Numpy's haversine and ``great_circle_km`` agree to ~1e-12 km: a circle lets through a
little more than ``in_area`` will (a superset: the exact rule decides)."""


PATCH_LIMIT = 2_000
"""More changed providers than this (or than a tenth of a large index) and a rebuild is
cheaper."""
HOLDS_PATCH_LIMIT = 20_000
"""More providers whose holds changed than this and the days kept are loaded again."""


def _patch_limit(size: int) -> int:
    return min(PATCH_LIMIT, max(64, size // 10))


@dataclass
class CandidateIndex:
    """One tenant's providers (every status: the index never decides who is active)."""

    key: tuple[str, int]
    ids: list[str]
    at: dict[str, int]
    """Provider id -> position (positions never move; a provider gone stays, serving nowhere)."""
    lat: np.ndarray
    lng: np.ndarray
    radius: np.ndarray
    circle: np.ndarray
    """Whether the provider gives a circle (centre and radius) at all."""
    by_skill: dict[str, np.ndarray]
    """Item ref -> positions of the providers with that skill (suspended or not)."""
    by_district: dict[str, np.ndarray]
    profiles: list[dict[str, Any] | None]
    """Position -> the profile row matching reads (``queries.PROFILE_COLUMNS``, the status, the
    schedules parsed), None for a provider gone."""
    suspended: dict[str, set[int]]
    """Item ref -> positions of the providers suspended from that item."""
    days: DaySchedules
    """The tenant's holding bookings of the days asked about (``core.matching.days``)."""
    active: np.ndarray
    """Position -> the profile is there and active."""
    schedule: np.ndarray
    """Position -> the code of its working hours and days off (``schedules``)."""
    schedules: Schedules
    checks: dict[str, Any] = field(default_factory=dict)
    """Provider id -> their checks, certificates and training (``ProviderChecks``), as
    ``load_checks_many`` reads them; filled by ``candidate_index``."""
    providers_at: str = ""
    """The tenant's ``providers`` counter (``core.tenancy.counters``) its profiles, skills and
    checks are current with; filled by ``candidate_index``."""

    @classmethod
    def build(
        cls,
        key: tuple[str, int],
        profiles: list[dict[str, Any]],
        skills: list[dict[str, Any]],
        tenant: str = "",
    ) -> CandidateIndex:
        ids = [str(p["id"]) for p in profiles]
        at = {pid: i for i, pid in enumerate(ids)}
        n = len(ids)
        lat, lng = np.full(n, np.nan), np.full(n, np.nan)
        radius = np.zeros(n)
        districts: dict[str, list[int]] = {}
        for i, p in enumerate(profiles):
            if p["area_lat"] is not None and p["area_lng"] is not None:
                lat[i], lng[i] = p["area_lat"], p["area_lng"]
            radius[i] = p["area_radius_km"] or 0.0
            for d in {d for d in (p["area_districts"] or "").split(",") if d}:
                districts.setdefault(d, []).append(i)
        by_skill: dict[str, list[int]] = {}
        suspended: dict[str, set[int]] = {}
        for s in skills:
            position = at.get(str(s["provider"]))
            if position is not None:
                by_skill.setdefault(s["item_ref"], []).append(position)
                if s.get("suspended"):
                    suspended.setdefault(s["item_ref"], set()).add(position)
        rows = [_prepared(p) for p in profiles]
        schedules = Schedules()
        return cls(
            key=key,
            ids=ids,
            at=at,
            lat=lat,
            lng=lng,
            radius=radius,
            circle=~np.isnan(lat),
            by_skill={ref: np.unique(np.array(v, dtype=np.int64)) for ref, v in by_skill.items()},
            by_district={d: np.array(sorted(v), dtype=np.int64) for d, v in districts.items()},
            profiles=list(rows),
            suspended=suspended,
            days=DaySchedules(tenant),
            active=np.array([p["status"] == "active" for p in rows], dtype=bool),
            schedule=np.array([schedules.code(p) for p in rows], dtype=np.int64),
            schedules=schedules,
        )

    def patch(
        self,
        key: tuple[str, int],
        changed: set[str],
        profiles: list[dict[str, Any]],
        skills: list[dict[str, Any]],
    ) -> None:
        """Take the changed providers' current rows (``profiles`` and ``skills`` of those in
        ``changed`` still there): their positions are cleared from every skill and district,
        then filled again; new providers are appended."""
        new = [pid for pid in sorted(changed) if pid not in self.at]
        if new:
            start = len(self.ids)
            self.ids.extend(new)
            self.at.update({pid: start + n for n, pid in enumerate(new)})
            grow = np.full(len(new), np.nan)
            self.lat, self.lng = np.append(self.lat, grow), np.append(self.lng, grow)
            self.radius = np.append(self.radius, np.zeros(len(new)))
            self.circle = np.append(self.circle, np.zeros(len(new), dtype=bool))
            self.profiles.extend([None] * len(new))
            self.active = np.append(self.active, np.zeros(len(new), dtype=bool))
            self.schedule = np.append(self.schedule, np.full(len(new), -1, dtype=np.int64))
        positions = np.array(sorted(self.at[pid] for pid in changed), dtype=np.int64)
        cleared = set(positions.tolist())
        for ref, barred in list(self.suspended.items()):
            self.suspended[ref] = barred - cleared
        for position in cleared:
            self.profiles[position] = None
        self.active[positions] = False
        for table in (self.by_skill, self.by_district):
            for name, members in list(table.items()):
                kept = np.setdiff1d(members, positions, assume_unique=True)
                if len(kept) != len(members):
                    table[name] = kept
        self.lat[positions] = np.nan
        self.lng[positions] = np.nan
        self.radius[positions] = 0.0
        self.circle[positions] = False
        added_skills: dict[str, list[int]] = {}
        added_districts: dict[str, list[int]] = {}
        for p in profiles:
            i = self.at[str(p["id"])]
            row = self.profiles[i] = _prepared(p)
            self.active[i] = row["status"] == "active"
            self.schedule[i] = self.schedules.code(row)
            if p["area_lat"] is not None and p["area_lng"] is not None:
                self.lat[i], self.lng[i] = p["area_lat"], p["area_lng"]
                self.circle[i] = True
            self.radius[i] = p["area_radius_km"] or 0.0
            for d in {d for d in (p["area_districts"] or "").split(",") if d}:
                added_districts.setdefault(d, []).append(i)
        for s in skills:
            added_skills.setdefault(s["item_ref"], []).append(self.at[str(s["provider"])])
            if s.get("suspended"):
                self.suspended.setdefault(s["item_ref"], set()).add(self.at[str(s["provider"])])
        for table, added in ((self.by_skill, added_skills), (self.by_district, added_districts)):
            for name, more in added.items():
                table[name] = np.union1d(
                    table.get(name, np.array([], dtype=np.int64)), np.array(more, dtype=np.int64)
                )
        self.key = key

    def near(self, refs: list[str], point: tuple[float, float], district: str) -> list[str]:
        """Providers with every skill whose circle holds the point (great circle, with
        ``SLACK_KM``) or whose districts name ``district``: a superset of ``in_area``."""
        return [self.ids[i] for i in self.near_positions(refs, point, district)]

    def able(
        self, refs: list[str], point: tuple[float, float], district: str
    ) -> list[dict[str, Any]]:
        """The profiles of the active providers ``near`` the point, suspended from none of the
        items: what ``queries.profiles_meeting`` reads from the database, from memory."""
        barred: set[int] = set()
        for ref in refs:
            barred |= self.suspended.get(ref, set())
        out = []
        for i in self.near_positions(refs, point, district).tolist():
            profile = self.profiles[i]
            if profile is not None and profile["status"] == "active" and i not in barred:
                out.append(profile)
        return out

    def chosen(self, pid: str, refs: list[str]) -> list[dict[str, Any]]:
        """``able`` for one provider, wherever the job is (``in_area`` decides that)."""
        i = self.at.get(pid)
        profile = None if i is None else self.profiles[i]
        if i is None or profile is None or not self.active[i]:
            return []
        for ref in refs:
            members = self.by_skill.get(ref)
            if members is None or i in self.suspended.get(ref, ()):
                return []
            found = int(np.searchsorted(members, i))
            if found >= len(members) or members[found] != i:
                return []
        return [profile]

    def near_positions(
        self, refs: list[str], point: tuple[float, float], district: str
    ) -> np.ndarray:
        return self.near_with_km(refs, point, district)[0]

    def near_with_km(
        self, refs: list[str], point: tuple[float, float], district: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """``near``'s positions, and each one's great-circle distance from its circle's centre
        (0.0 without a circle, as ``in_area`` gives it)."""
        members: np.ndarray | None = None
        nobody = np.array([], dtype=np.int64)
        for ref in refs:
            has = self.by_skill.get(ref)
            if has is None:
                return nobody, np.zeros(0)
            members = has if members is None else np.intersect1d(members, has)
        if members is None or len(members) == 0:
            return nobody, np.zeros(0)
        circled = self.circle[members]
        km = np.zeros(len(members))
        km[circled] = haversine(self.lat[members[circled]], self.lng[members[circled]], *point)
        inside = circled & (km <= self.radius[members] + SLACK_KM)
        if district and (in_district := self.by_district.get(district)) is not None:
            inside |= np.isin(members, in_district, assume_unique=True)
        return members[inside], km[inside]


class Schedules:
    """Codes for the distinct (working hours, days off) pairs: most providers share a handful,
    and each text is parsed once into one shared value (``queries.prepared``), so the pair of
    values names the schedule. A rule on the hours is then decided once per code."""

    def __init__(self) -> None:
        self.pairs: list[dict[str, Any]] = []
        self._codes: dict[tuple[int, int], int] = {}

    def code(self, profile: dict[str, Any]) -> int:
        key = (id(profile["working_hours"]), id(profile["days_off"]))
        found = self._codes.get(key)
        if found is None:
            found = self._codes[key] = len(self.pairs)
            # Kept: the values stay alive, so their ids keep naming them.
            self.pairs.append(
                {"working_hours": profile["working_hours"], "days_off": profile["days_off"]}
            )
        return found


_INDEXES: dict[str, CandidateIndex] = {}
_LOCKS: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = {}


def _lock(tenant: str) -> asyncio.Lock:
    """One rebuild at a time per tenant (requests arriving meanwhile wait for it)."""
    loop = asyncio.get_running_loop()
    held = _LOCKS.get(tenant)
    if held is None or held[0] is not loop:
        held = _LOCKS[tenant] = (loop, asyncio.Lock())
    return held[1]


async def candidate_index(tenant_id: Any, profiles_only: bool = False) -> CandidateIndex | None:
    """The tenant's index, brought up to the tenant's version first; None while the tenant has
    no version yet. ``profiles_only``: the caller needs the providers' profiles, skills and
    checks current, not their holds (the booking path checks those in its write): while the
    request's ``providers`` counter (``core.tenancy.counters``) is the index's, the index is
    returned as it is, with no read.

    Reads the version before the rows, so an index is never older than its key; an index
    newer than the version read serves as it is (``_serves``). A few versions behind: the
    providers they name are reloaded (their profile and skills, or their holds alone);
    otherwise the index is built again."""
    tenant = str(tenant_id)
    if profiles_only:
        seen = counters.seen("providers")
        cached = _INDEXES.get(tenant)
        if seen is not None and cached is not None and cached.providers_at == seen:
            return cached  # its profiles are current; its holds may not be
    found = await versions(tenant_id)
    if found is None:
        return None
    key, providers_at = found
    cached = _INDEXES.get(tenant)
    if cached is not None and _serves(cached.key, key):
        return cached
    async with _lock(tenant):
        cached = _INDEXES.get(tenant)
        if cached is not None and _serves(cached.key, key):
            return cached
        if cached is not None and cached.key[0] == key[0] and cached.key[1] < key[1]:
            changed = await changed_since(tenant_id, cached.key[1], key[1])
            if (
                changed is not None
                and len(changed.providers) <= _patch_limit(len(cached.ids))
                and len(changed.holds) <= HOLDS_PATCH_LIMIT
            ):
                if changed.providers:
                    profiles, skills = await index_rows(tenant_id, changed.providers)
                    checks = await _checks(tenant_id, changed.providers)
                    cached.patch(key, changed.providers, profiles, skills)
                    for pid in changed.providers:
                        cached.checks.pop(pid, None)
                    cached.checks.update(checks)
                await cached.days.reload(changed.holds)
                cached.key = key
                cached.providers_at = providers_at
                return cached
        profiles, skills = await index_rows(tenant_id, None)
        checks = await _checks(tenant_id, None)
        index = CandidateIndex.build(key, profiles, skills, tenant)
        index.checks = checks
        index.providers_at = providers_at
        _INDEXES[tenant] = index
        _long_lived(len(index.ids))
        return index


def _serves(held: tuple[str, int], read: tuple[str, int]) -> bool:
    """Whether an index at version ``held`` serves a request that read version ``read``: the
    same counter, as new or newer. Newer happens: a request reads the version, then waits for
    the lock while another request brings the index past it. The rows it reads next are
    newer still, and the index only narrows by skill and area, so nothing is missed; it was
    built again for nothing before (24 times in 10 seconds of the booking benchmark on
    PostgreSQL, each a read of the whole tenant)."""
    return held[0] == read[0] and held[1] >= read[1]


async def holds_of_day(
    tenant_id: Any, index: CandidateIndex, day_start: datetime
) -> dict[str, list[dict[str, Any]]]:
    """Every holding booking of the tenant around the local day starting at ``day_start``, by
    provider, from the index's memory (loaded once per day, then patched)."""
    found = index.days.cached(day_start)
    if found is not None:
        return found
    async with _lock(str(tenant_id)):
        found = index.days.cached(day_start)
        if found is None:
            found = await index.days.load(day_start)
            _long_lived(sum(len(rows) for rows in found.values()))
        return found


LONG_LIVED_FROM = 10_000
"""Rows loaded at once from which ``_long_lived`` pays for its full collection."""


def _long_lived(rows: int) -> None:
    """Take what is in memory now (the index just built, the day just loaded: hundreds of
    thousands of rows at 100,000 providers) out of the garbage collector's full scans, which
    would otherwise walk all of it every so often, at random requests (the matching benchmark
    at 100,000 providers: the slowest request 23 ms without this, 4 ms with it). What was
    pinned before is let go first, so garbage among it (a replaced index, a request's cycle
    caught in the last freeze) is still collected: nothing stays pinned for good. Below
    ``LONG_LIVED_FROM`` rows the collector's scans cost less than the full collection."""
    if rows < LONG_LIVED_FROM:
        return
    gc.unfreeze()
    gc.collect()
    gc.freeze()


async def index_rows(
    tenant_id: Any, only: set[str] | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The index's rows of the tenant's providers (or of ``only``): the profile columns
    matching reads, and the skills."""
    tenant = str(tenant_id)
    profile_where, skill_where = "tenant = {}", "tenant = {}"
    profile_args: list[Any] = [tenant]
    skill_args: list[Any] = [tenant]
    if only is not None:
        among, ids = rawsql.ids_in(ProviderProfile, "id", sorted(only))
        profile_where += f" AND {among}"
        profile_args.append(ids)
        among, ids = rawsql.ids_in(ProviderSkill, "provider", sorted(only))
        skill_where += f" AND {among}"
        skill_args.append(ids)
    profiles = await rawsql.select(
        ProviderProfile,
        f"SELECT {rawsql.text_id('id', 'id')}, status, {PROFILE_COLUMNS} "  # noqa: S608
        f"FROM providers_profile WHERE {profile_where}",
        *profile_args,
    )
    skills = await rawsql.select(
        ProviderSkill,
        f"SELECT {rawsql.text_id('provider', 'provider')}, item_ref, suspended "  # noqa: S608
        f"FROM providers_skill WHERE {skill_where}",
        *skill_args,
    )
    return profiles, skills


async def _checks(tenant_id: Any, only: set[str] | None) -> dict[str, Any]:
    from core.verification.eligibility import load_checks_many  # it bumps versions: no cycle

    return await load_checks_many(tenant_id, None if only is None else sorted(only))


def _prepared(row: dict[str, Any]) -> dict[str, Any]:
    """A profile row as matching reads it: schedules parsed (``queries.prepared``)."""
    return prepared(dict(row))


def forget_indexes() -> None:
    """Drop every cached index (the next request per tenant rebuilds)."""
    _INDEXES.clear()
