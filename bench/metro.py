"""A synthetic metro area for the matching benchmark, and the brute-force oracle.

``Metro.generate(n)``: ``n`` providers around People's Square, Shanghai (a 44 x 44 km box), each
with 4 of 64 skills, a 5-15 km service circle, working hours (80 % every day 08:00-20:00, 20 %
weekdays 09:00-18:00, 5 % off on the benchmark day), identity checks (2 % failed face match),
two certificates (3 % with the health certificate expired the day before), the training
course (2 % not passed), a rating, a quality score, and three bookings on the benchmark day.
Status: 97 % active, 1 % suspended, 2 % still onboarding.

``Metro.load(db)`` writes it with bulk inserts; ``oracle(metro, job)`` checks every provider
that has the skill, in plain Python, with the rules written out again independently of
``core.matching``, and ranks them the same way: the benchmark compares the two on every query.

Coordinates, radii and quality are float32-exact: PostgreSQL stores Piccolo ``Float`` columns
as ``real``, so the oracle sees exactly what both engines store.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from core.dispatch.schemas import great_circle_km
from core.matching.ranking import RATING_PRIOR_MEAN, RATING_PRIOR_WEIGHT, WEIGHTS
from core.matching.service import ROAD_FACTOR

CENTRE = (31.2304, 121.4737)
DAY = date(2026, 3, 11)
"""The benchmark day: a Wednesday."""
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")
SKILLS = 64
SPEED_KMH = 22.0
"""Jiejia's travel speed (the benchmark runs on the jiejia tenant)."""
BUFFER_MIN = 30
JOB_MINUTES = 60
HOURS = (
    {d: ["08:00", "20:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    {d: ["09:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
)
HOURS_MIN = ((8 * 60, 20 * 60), (9 * 60, 18 * 60))
"""The same spans on the benchmark day (a Wednesday), in local minutes."""
IDENTITY = ("id_number", "real_name", "face_match", "phone")
COURSE = "housekeeping.service_basics"


def new_ids(count: int) -> list[str]:
    """Random version-4 UUIDs as text (both engines take text for a uuid), many at once."""
    h = os.urandom(16 * count).hex()
    return [
        f"{h[j : j + 8]}-{h[j + 8 : j + 12]}-4{h[j + 13 : j + 16]}-a{h[j + 17 : j + 20]}-"
        f"{h[j + 20 : j + 32]}"
        for j in range(0, 32 * count, 32)
    ]


def skill_ref(k: int) -> str:
    return f"housekeeping.skill_{k:02d}"


def f32(values: np.ndarray) -> np.ndarray:
    return values.astype(np.float32).astype(np.float64)


def utc_at(minutes: float) -> datetime:
    """Local minutes after midnight of the benchmark day, as aware UTC."""
    return (datetime.combine(DAY, time(0), TZ) + timedelta(minutes=float(minutes))).astimezone(UTC)


@dataclass
class Metro:
    n: int
    ids: list[str]
    lat: np.ndarray
    lng: np.ndarray
    radius: np.ndarray
    skills: np.ndarray
    """(n, 4) skill numbers."""
    active: np.ndarray
    status: list[str]
    hours: np.ndarray
    """0: every day 08-20; 1: weekdays 09-18."""
    day_off: np.ndarray
    rating_sum: np.ndarray
    rating_count: np.ndarray
    quality: np.ndarray
    face_ok: np.ndarray
    cert_ok: np.ndarray
    trained: np.ndarray
    b_start: np.ndarray
    """(n, 3) local minutes of each booking's start."""
    b_end: np.ndarray
    b_lat: np.ndarray
    b_lng: np.ndarray

    @classmethod
    def generate(cls, n: int, seed: int = 7) -> Metro:
        rng = np.random.default_rng(seed)
        ids = [
            str(uuid.UUID(int=int(rng.integers(0, 2**62)) << 64 | i, version=4)) for i in range(n)
        ]
        lat = f32(CENTRE[0] + rng.uniform(-0.2, 0.2, n))
        lng = f32(CENTRE[1] + rng.uniform(-0.235, 0.235, n))
        radius = f32(np.round(rng.uniform(5, 15, n) * 2) / 2)
        first = rng.integers(0, SKILLS, n)
        second = (first + rng.integers(1, 22, n)) % SKILLS
        third = (second + rng.integers(1, 22, n)) % SKILLS
        fourth = (third + rng.integers(1, 20, n)) % SKILLS
        skills = np.stack([first, second, third, fourth], axis=1)
        roll = rng.uniform(0, 1, n)
        status = ["active" if r < 0.97 else "suspended" if r < 0.98 else "onboarding" for r in roll]
        count = rng.integers(0, 200, n)
        rating_sum = np.round(rng.uniform(3.5, 5.0, n) * count).astype(np.int64)
        # Three bookings, one in each third of the day, held (30-minute buffers) inside it.
        durations = rng.choice([60, 90], size=(n, 3))
        thirds = np.array([8 * 60, 12 * 60, 16 * 60])
        slots = (180 - durations) // 30 + 1
        offsets = (rng.integers(0, 1_000_000, (n, 3)) % slots) * 30
        b_start = thirds + 30 + offsets
        b_end = b_start + durations
        angle = rng.uniform(0, 2 * math.pi, (n, 3))
        dist = rng.uniform(0, 0.7, (n, 3)) * radius[:, None]
        b_lat = np.round(lat[:, None] + dist * np.cos(angle) / 111.195, 6)
        b_lng = np.round(
            lng[:, None] + dist * np.sin(angle) / (111.195 * np.cos(np.radians(lat[:, None]))), 6
        )
        return cls(
            n=n,
            ids=ids,
            lat=lat,
            lng=lng,
            radius=radius,
            skills=skills,
            active=np.array([s == "active" for s in status]),
            status=status,
            hours=(rng.uniform(0, 1, n) < 0.2).astype(np.int64),
            day_off=rng.uniform(0, 1, n) < 0.05,
            rating_sum=rating_sum,
            rating_count=count,
            quality=f32(np.round(rng.uniform(0.5, 1.0, n), 2)),
            face_ok=rng.uniform(0, 1, n) >= 0.02,
            cert_ok=rng.uniform(0, 1, n) >= 0.03,
            trained=rng.uniform(0, 1, n) >= 0.02,
            b_start=b_start,
            b_end=b_end,
            b_lat=b_lat,
            b_lng=b_lng,
        )

    def queries(self, count: int, seed: int = 11) -> list[dict[str, Any]]:
        """Random requests: a point within ~13 km of the centre, a skill, a half-hour start
        between 08:00 and 18:30 on the benchmark day, one hour of work."""
        rng = np.random.default_rng(seed)
        out = []
        for _ in range(count):
            out.append(
                {
                    "point": (
                        round(CENTRE[0] + float(rng.uniform(-0.12, 0.12)), 6),
                        round(CENTRE[1] + float(rng.uniform(-0.14, 0.14)), 6),
                    ),
                    "skill": int(rng.integers(0, SKILLS)),
                    "start_min": int(8 * 60 + 30 * rng.integers(0, 22)),
                }
            )
        return out

    # --- writing it -------------------------------------------------------------------------

    async def load(self, db: Any, tenant_id: str, *, announce: bool = True) -> dict[str, int]:
        """Bulk-load the metro for ``tenant_id``. ``announce``: record a matching version, as
        the services would have (``bump_matching_version``), so requests use the in-memory
        candidate index; without it matching asks the database alone."""
        from core.privacy import service as privacy

        tid = tenant_id
        pids = self.ids
        users = new_ids(self.n)
        customer = str(uuid.uuid4())
        fresh = iter(new_ids(self.n * 14))
        v = db.value
        created = v(NOW - timedelta(days=60))
        counts: dict[str, int] = {}
        counts["accounts_user"] = await db.bulk(
            "accounts_user",
            ("id", "tenant", "kind", "locale", "created_at"),
            [(u, tid, "provider", "zh_CN", created) for u in users]
            + [(customer, tid, "customer", "zh_CN", created)],
        )
        hours_json = [json.dumps(h) for h in HOURS]
        day_off_json = json.dumps([DAY.isoformat()])
        counts["providers_profile"] = await db.bulk(
            "providers_profile",
            (
                "id", "tenant", "user", "gender", "languages", "area_lat", "area_lng",
                "area_radius_km", "area_districts", "working_hours", "days_off", "status",
                "quality_score", "rating_sum", "rating_count", "created_at",
            ),
            [
                (
                    pids[i], tid, users[i], "female", "zh", float(self.lat[i]),
                    float(self.lng[i]), float(self.radius[i]), "", hours_json[self.hours[i]],
                    day_off_json if self.day_off[i] else "[]", self.status[i],
                    float(self.quality[i]), int(self.rating_sum[i]), int(self.rating_count[i]),
                    created,
                )
                for i in range(self.n)
            ],
        )  # fmt: skip
        counts["providers_skill"] = await db.bulk(
            "providers_skill",
            ("id", "tenant", "provider", "item_ref", "suspended", "suspended_reason"),
            [
                (next(fresh), tid, pids[i], skill_ref(int(k)), False, "")
                for i in range(self.n)
                for k in self.skills[i]
            ],
        )
        valid = v(NOW + timedelta(days=300))
        counts["verification_check"] = await db.bulk(
            "verification_check",
            ("id", "tenant", "provider", "kind", "status", "started_at", "checked_at",
             "valid_until"),
            [
                (
                    next(fresh), tid, pids[i], kind,
                    "failed" if kind == "face_match" and not self.face_ok[i] else "passed",
                    created, created, valid,
                )
                for i in range(self.n)
                for kind in IDENTITY
            ],
        )  # fmt: skip
        number = privacy.seal("JK-0001", field="certificate.number", tenant_id=tenant_id)
        since, lasting = v(date(2025, 1, 1)), v(date(2027, 12, 31))
        expired = v(DAY - timedelta(days=1))
        counts["verification_certificate"] = await db.bulk(
            "verification_certificate",
            ("id", "tenant", "provider", "kind", "number_enc", "issuer", "valid_from",
             "valid_until", "status", "created_at"),
            [
                (
                    next(fresh), tid, pids[i], kind, number, "卫健委", since,
                    expired if kind == "health_certificate" and not self.cert_ok[i] else lasting,
                    "approved", created,
                )
                for i in range(self.n)
                for kind in ("health_certificate", "housekeeping_training")
            ],
        )  # fmt: skip
        counts["verification_training"] = await db.bulk(
            "verification_training",
            ("id", "tenant", "provider", "course", "score", "passed_at", "taken_at"),
            [
                (next(fresh), tid, pids[i], COURSE, 100, created, created)
                for i in range(self.n)
                if self.trained[i]
            ],
        )
        address = privacy.seal(
            "上海市黄浦区南京东路 1 号", field="booking.address", tenant_id=tenant_id
        )
        rows = []
        for i in range(self.n):
            for j in range(3):
                start, end = utc_at(self.b_start[i, j]), utc_at(self.b_end[i, j])
                hold = (
                    v(start - timedelta(minutes=BUFFER_MIN)),
                    v(end + timedelta(minutes=BUFFER_MIN)),
                )
                point = privacy.seal(
                    f"{self.b_lat[i, j]:.6f},{self.b_lng[i, j]:.6f}",
                    field="booking.point",
                    tenant_id=tenant_id,
                )
                rows.append(
                    (
                        next(fresh), tid, customer, pids[i], "accepted", "housekeeping", "[]",
                        9900, "CNY", address, point, "", v(start), v(end), *hold,
                        False, 1, created, created,
                    )
                )  # fmt: skip
        counts["booking_booking"] = await db.bulk(
            "booking_booking",
            ("id", "tenant", "customer", "provider", "status", "vertical", "items", "total_fen",
             "currency", "address_enc", "point_enc", "district", "starts_at", "ends_at",
             "hold_start", "hold_end", "urgent", "version", "created_at", "updated_at"),
            rows,
        )  # fmt: skip
        if announce:
            counts["matching_version"] = await db.bulk(
                "matching_version", ("id", "tenant", "version"), [(str(uuid.uuid4()), tid, 1)]
            )
        await db.analyze()
        return counts


# --- the oracle -----------------------------------------------------------------------------


def travel(a: tuple[float, float], b: tuple[float, float]) -> float:
    return great_circle_km(*a, *b) * ROAD_FACTOR / SPEED_KMH * 60


def exact(metro: Metro, i: int, point: tuple[float, float], start: int) -> tuple | None:
    """Provider ``i`` for a one-hour job at ``point`` from local minute ``start``: None if it
    cannot come, else its sort key (-score, travel minutes, id). Plain rules, plain Python."""
    if not (metro.active[i] and metro.face_ok[i] and metro.cert_ok[i] and metro.trained[i]):
        return None
    if great_circle_km(float(metro.lat[i]), float(metro.lng[i]), *point) > metro.radius[i]:
        return None
    end = start + JOB_MINUTES
    opens, closes = HOURS_MIN[metro.hours[i]]
    if metro.day_off[i] or not (opens <= start and end - 1 < closes):
        return None
    before = after = None
    for j in range(3):
        bs, be = int(metro.b_start[i, j]), int(metro.b_end[i, j])
        if bs - BUFFER_MIN < end + BUFFER_MIN and start - BUFFER_MIN < be + BUFFER_MIN:
            return None
        if be <= start and (before is None or be > metro.b_end[i, before]):
            before = j
        if bs >= end and (after is None or bs < metro.b_start[i, after]):
            after = j
    if before is not None:
        origin = (float(metro.b_lat[i, before]), float(metro.b_lng[i, before]))
    else:
        origin = (float(metro.lat[i]), float(metro.lng[i]))
    minutes = travel(origin, point)
    if before is not None and utc_at(metro.b_end[i, before]) + timedelta(minutes=minutes) > utc_at(
        start
    ):
        return None
    if after is not None:
        onward = travel(point, (float(metro.b_lat[i, after]), float(metro.b_lng[i, after])))
        if utc_at(end) + timedelta(minutes=onward) > utc_at(metro.b_start[i, after]):
            return None
    rating = (RATING_PRIOR_MEAN * RATING_PRIOR_WEIGHT + int(metro.rating_sum[i])) / (
        RATING_PRIOR_WEIGHT + int(metro.rating_count[i])
    )
    scores = (
        (max(0.0, 1 - minutes / 60), WEIGHTS["travel"]),
        (rating / 5, WEIGHTS["rating"]),
        (float(metro.quality[i]), WEIGHTS["quality"]),
        (0.9, WEIGHTS["reliability"]),  # nobody has answered an offer yet
        (max(0.0, 1 - 3 / 6), WEIGHTS["fairness"]),  # three jobs today each
    )
    score = round((sum(round(s * w * 100, 1) for s, w in scores) + 0) / 100, 4)
    return (-score, round(minutes, 1), metro.ids[i])


def oracle(metro: Metro, query: dict[str, Any], top: int = 10) -> list[str]:
    """Brute force: every provider with the skill, each through the plain rules."""
    skilled = np.nonzero((metro.skills == query["skill"]).any(axis=1))[0]
    keys = [
        key
        for i in skilled
        if (key := exact(metro, int(i), query["point"], query["start_min"])) is not None
    ]
    keys.sort()
    return [k[2] for k in keys[:top]]
