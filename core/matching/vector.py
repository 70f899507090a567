"""Matching's rules over numpy arrays: who among the candidate index's providers can reach a
job (inside the area, active, not suspended, working then, free, time to travel).

``core.matching.service`` states the rules one provider at a time (``in_area``, ``works_at``,
``clear_of``). At 100,000 providers a job near the centre has about a thousand providers to
judge, and judging them one by one in Python costs more than the rest of the request. Here
the same rules run over the index's arrays and over a day's holds laid out by provider
(``DayFrame``): one pass of numpy per rule instead of a loop per provider.

A frame is laid out from the day's rows (``core.matching.days``) when first needed. Providers
whose holds changed since (bookings made or moved meanwhile: ``stale``) are judged one by one
by ``service.clear_of`` from the day's current rows, until there are enough of them to lay the
frame out again. ``tests/booking/test_day_schedules.py`` checks the results equal the
database path's on random worlds, and the matching benchmark checks them against its oracle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from core.dispatch.schemas import R_EARTH_KM, great_circle_km
from core.matching.ranking import Free

if TYPE_CHECKING:
    from core.matching.index import CandidateIndex
    from core.matching.service import JobRequest

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
BOUNDARY_KM = 1e-9
"""Closer than this to the edge of a circle, ``in_area``'s own arithmetic decides."""
RELAY_SHARE = 20
"""Lay the frame out again once more than 1/20 of the day's providers (and at least 500)
changed since."""


def micros(moment: datetime) -> int:
    """A moment as whole microseconds since 1970 (exact, like the datetimes compared)."""
    return (moment - EPOCH) // US


@dataclass
class DayFrame:
    """A day's holds as arrays, one entry per booking, sorted by provider position and start.

    A provider's holds never overlap (the write path sees to it), so sorted by start they are
    sorted by end too: the ones ending before a job are a prefix of the provider's run, the
    ones starting after it a suffix."""

    position: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    hold_starts: np.ndarray
    hold_ends: np.ndarray
    lat: np.ndarray
    """The booking's point, NaN until decrypted (``DayBookings.point``, once per booking)."""
    lng: np.ndarray
    rows: list[dict[str, Any]]
    providers: int
    stale: set[str] = field(default_factory=set)
    """Providers judged from the day's rows instead: changed since, or not in the index when
    the frame was laid out."""

    @classmethod
    def lay_out(
        cls, day: dict[str, list[dict[str, Any]]], at: dict[str, int], decrypt: Any
    ) -> DayFrame:
        """``decrypt(row)``: the booking's point (decrypted here, once per booking, so that no
        request pays for a thousand of them)."""
        rows: list[dict[str, Any]] = []
        owners: list[int] = []
        stale: set[str] = set()
        for pid, held in day.items():
            position = at.get(pid)
            if position is None:
                stale.add(pid)
                continue
            rows += held
            owners += [position] * len(held)
        starts = np.array([micros(r["starts_at"]) for r in rows], dtype=np.int64)
        order = np.lexsort((starts, np.array(owners, dtype=np.int64)))
        rows = [rows[i] for i in order.tolist()]

        def column(name: str) -> np.ndarray:
            return np.array([micros(r[name]) for r in rows], dtype=np.int64)

        lat, lng = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
        for i, row in enumerate(rows):
            lat[i], lng[i] = decrypt(row)
        return cls(
            position=np.array(owners, dtype=np.int64)[order],
            starts=starts[order],
            ends=column("ends_at"),
            hold_starts=column("hold_start"),
            hold_ends=column("hold_end"),
            lat=lat,
            lng=lng,
            rows=rows,
            providers=len(day),
            stale=stale,
        )

    def worn(self) -> bool:
        return len(self.stale) > max(500, self.providers // RELAY_SHARE)

    def points(self, needed: np.ndarray, decrypt: Any) -> None:
        """Decrypt the points of these bookings not decrypted yet (``decrypt(row)``)."""
        for i in needed[np.isnan(self.lat[needed])].tolist():
            self.lat[i], self.lng[i] = decrypt(self.rows[i])


def haversine(
    lat1: np.ndarray, lng1: np.ndarray, lat2: np.ndarray | float, lng2: np.ndarray | float
) -> np.ndarray:
    """``great_circle_km`` over arrays (the same formula, in the same order)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lng2) - lng1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * R_EARTH_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0))))


@dataclass(frozen=True)
class Trip:
    """What the rules need to know about the job and the tenant."""

    job: JobRequest
    first: datetime
    """The job's first and last minute in the tenant's time zone (working hours)."""
    last: datetime
    buffer: timedelta
    road_factor: float
    speed_kmh: float
    unknown_minutes: float
    district_home: tuple[float, float] | None
    """Where a districts-only provider sets out from (``home_point``), if the tenant says."""
    radius_km: float | None
    day_start: datetime
    day_end: datetime


def reachable(
    index: CandidateIndex,
    day: dict[str, list[dict[str, Any]]],
    frame: DayFrame,
    trip: Trip,
    skip: set[str],
    one_by_one: Any,
) -> list[Free]:
    """The index's providers who can come to the job and be back in time for their next one,
    with the distance from their area's centre, the minutes of travel to the job and the jobs
    they have that day. ``one_by_one(profile, km, rows)``: ``service``'s own judgement of one
    provider from their rows (a ``Free`` or None), for the stale ones."""
    job = trip.job
    refs = job.item_refs
    positions, km = index.near_with_km(refs, job.point, job.district)
    if not len(positions):
        return []
    keep = _in_area(index, positions, km, job)
    if trip.radius_km is not None:
        keep &= km <= trip.radius_km
    keep &= index.active[positions]
    for ref in refs:
        if barred := index.suspended.get(ref):
            keep &= ~np.isin(positions, np.fromiter(barred, dtype=np.int64, count=len(barred)))
    if skip:
        gone = [index.at[p] for p in skip if p in index.at]
        keep &= ~np.isin(positions, np.array(gone, dtype=np.int64))
    keep &= _working(index, positions, trip)
    positions, km = positions[keep], km[keep]
    stale_positions = np.array([index.at[p] for p in frame.stale if p in index.at], dtype=np.int64)
    by_hand = np.isin(positions, stale_positions)
    free = _clear(index, frame, trip, positions[~by_hand], km[~by_hand])
    for i, distance in zip(positions[by_hand].tolist(), km[by_hand].tolist(), strict=True):
        profile = index.profiles[i]
        if profile is not None:
            found = one_by_one(profile, distance, day.get(index.ids[i], []))
            if found is not None:
                free.append(found)
    return free


def _in_area(
    index: CandidateIndex, positions: np.ndarray, km: np.ndarray, job: JobRequest
) -> np.ndarray:
    """``in_area`` for each: inside the circle, or in one of the districts named."""
    circled = index.circle[positions]
    radius = index.radius[positions]
    inside = circled & (km <= radius)
    edge = np.flatnonzero(circled & (np.abs(km - radius) <= BOUNDARY_KM))
    for n in edge.tolist():  # so close to the edge that the last digit decides: decide exactly
        i = int(positions[n])
        km[n] = great_circle_km(float(index.lat[i]), float(index.lng[i]), *job.point)
        inside[n] = km[n] <= radius[n]
    if job.district and (named := index.by_district.get(job.district)) is not None:
        inside |= np.isin(positions, named, assume_unique=True)
    return inside


def _working(index: CandidateIndex, positions: np.ndarray, trip: Trip) -> np.ndarray:
    """Working at the job's first and last minute: decided once per schedule."""
    from core.providers.service import works_at  # it bumps matching versions: no cycle

    codes = index.schedule[positions]
    verdict = np.zeros(len(index.schedules.pairs) + 1, dtype=bool)  # the last: no schedule
    for code in np.unique(codes).tolist():
        if code >= 0:
            pair = index.schedules.pairs[code]
            verdict[code] = works_at(pair, trip.first) and works_at(pair, trip.last)
    return verdict[codes]


def _pick(values: np.ndarray, rows: np.ndarray, otherwise: np.ndarray) -> np.ndarray:
    """``values[rows]`` where a row is named (>= 0), ``otherwise`` where not."""
    out = otherwise.copy()
    named = rows >= 0
    out[named] = values[rows[named]]
    return out


def _clear(
    index: CandidateIndex,
    frame: DayFrame,
    trip: Trip,
    positions: np.ndarray,
    km: np.ndarray,
) -> list[Free]:
    """``clear_of`` for each, from the frame: no overlapping hold, time to come from the job
    before (or from home) and to go on to the next."""
    from core.matching.service import DayBookings

    job = trip.job
    start = micros(job.starts_at)
    end = start + job.duration_minutes * 60_000_000
    buffer = trip.buffer // US
    hold_start, hold_end = start - buffer, end + buffer
    n = len(positions)
    left = np.searchsorted(frame.position, positions, "left")
    right = np.searchsorted(frame.position, positions, "right")
    counts = right - left
    owner = np.repeat(np.arange(n), counts)
    rows = np.repeat(left, counts) + (
        np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    overlapping = (frame.hold_starts[rows] < hold_end) & (frame.hold_ends[rows] > hold_start)
    clear = np.ones(n, dtype=bool)
    clear[owner[overlapping]] = False
    ended = np.bincount(owner[frame.ends[rows] <= start], minlength=n)
    coming = np.bincount(owner[frame.starts[rows] >= end], minlength=n)
    day_start, day_end = micros(trip.day_start), micros(trip.day_end)
    starts = frame.starts[rows]
    today = np.bincount(owner[(starts >= day_start) & (starts < day_end)], minlength=n)
    before = np.where(clear & (ended > 0), left + ended - 1, -1)
    after = np.where(clear & (coming > 0), right - coming, -1)
    needed = np.concatenate([before[before >= 0], after[after >= 0]])
    if len(needed):
        tenant_id = index.days.tenant_id
        frame.points(needed, lambda row: DayBookings([row], tenant_id).point(row))
    # Where each sets out from: the job before, else home (the circle's centre, or the
    # tenant's centre of the job's district), else unknown.
    has_before = before >= 0
    origin_lat = _pick(frame.lat, before, index.lat[positions])
    origin_lng = _pick(frame.lng, before, index.lng[positions])
    home_known = index.circle[positions]
    if trip.district_home is not None:
        origin_lat = np.where(has_before | home_known, origin_lat, trip.district_home[0])
        origin_lng = np.where(has_before | home_known, origin_lng, trip.district_home[1])
        home_known = np.ones(n, dtype=bool)
    known = has_before | home_known
    minutes = np.full(n, float(trip.unknown_minutes))
    if known.any():
        km_to_job = haversine(origin_lat[known], origin_lng[known], job.point[0], job.point[1])
        minutes[known] = km_to_job * trip.road_factor / trip.speed_kmh * 60
    travel = np.round(minutes * 60_000_000).astype(np.int64)
    late = has_before & (_pick(frame.ends, before, np.zeros(n, dtype=np.int64)) + travel > start)
    clear &= ~late
    has_after = clear & (after >= 0)
    if has_after.any():
        onward = (
            haversine(
                np.full(int(has_after.sum()), job.point[0]),
                np.full(int(has_after.sum()), job.point[1]),
                frame.lat[after[has_after]],
                frame.lng[after[has_after]],
            )
            * trip.road_factor
            / trip.speed_kmh
            * 60
        )
        too_late = (
            end + np.round(onward * 60_000_000).astype(np.int64) > frame.starts[after[has_after]]
        )
        clear[np.flatnonzero(has_after)[too_late]] = False
    out = []
    for n_ in np.flatnonzero(clear).tolist():
        i = int(positions[n_])
        profile = index.profiles[i]
        if profile is None:
            continue
        home = (float(index.lat[i]), float(index.lng[i])) if index.circle[i] else trip.district_home
        out.append(Free(profile, float(km[n_]), float(minutes[n_]), int(today[n_]), home))
    return out
