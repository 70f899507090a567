"""An in-memory matching index (a benchmark variant, not wired into the app).

Per skill: a scipy ``cKDTree`` over the providers' bases on a local plane (km). A request asks
the tree for everyone whose base is within the largest radius of that skill, filters with numpy
(the provider's own circle by great-circle distance, status, checks, certificates on the job
date, training, working hours and day off, holds with buffers, travel from the previous job and
to the next), scores the survivors, and recomputes the few that can reach the top 10 with the
oracle's exact rules (``metro.exact``), so the order is exactly the oracle's. Anything numpy
cannot decide for sure (a value within 1e-6 of a boundary) goes to the exact rules as well.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from bench.metro import (
    BUFFER_MIN,
    CENTRE,
    HOURS_MIN,
    JOB_MINUTES,
    SKILLS,
    SPEED_KMH,
    Metro,
    exact,
)
from core.dispatch.schemas import R_EARTH_KM
from core.matching.ranking import RATING_PRIOR_MEAN, RATING_PRIOR_WEIGHT, WEIGHTS
from core.matching.service import ROAD_FACTOR

KM_PER_DEG = math.pi * R_EARTH_KM / 180
EDGE = 1e-6
SCORE_MARGIN = 0.003
"""Approximate and exact scores differ by at most 0.0025: five factors rounded to 0.1 point
(0.0005 each) and the score to 4 decimals."""


def haversine(lat1: Any, lng1: Any, lat2: Any, lng2: Any) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lng2) - np.asarray(lng1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * R_EARTH_KM * np.arcsin(np.sqrt(a))


def plane(lat: Any, lng: Any) -> np.ndarray:
    """Local equirectangular km around the metro centre (good to <0.1 % over 30 km)."""
    x = (np.asarray(lng) - CENTRE[1]) * KM_PER_DEG * math.cos(math.radians(CENTRE[0]))
    y = (np.asarray(lat) - CENTRE[0]) * KM_PER_DEG
    return np.stack([x, y], axis=-1)


@dataclass
class SkillIndex:
    members: np.ndarray
    tree: cKDTree
    reach_km: float


class MemoryIndex:
    def __init__(self, metro: Metro) -> None:
        self.metro = metro
        m = metro
        self.ok = m.active & m.face_ok & m.cert_ok & m.trained & ~m.day_off
        spans = np.array(HOURS_MIN)
        self.opens = spans[m.hours, 0]
        self.closes = spans[m.hours, 1]
        self.rating = (RATING_PRIOR_MEAN * RATING_PRIOR_WEIGHT + m.rating_sum) / (
            RATING_PRIOR_WEIGHT + m.rating_count
        )
        self.static_score = (
            WEIGHTS["rating"] * self.rating / 5
            + WEIGHTS["quality"] * m.quality
            + WEIGHTS["reliability"] * 0.9
            + WEIGHTS["fairness"] * 0.5
        )
        xy = plane(m.lat, m.lng)
        self.skills: list[SkillIndex] = []
        for k in range(SKILLS):
            members = np.nonzero((m.skills == k).any(axis=1))[0]
            # The plane stretches distances by well under 1 %: 2 % and 0.5 km of slack.
            reach = float(m.radius[members].max()) * 1.02 + 0.5 if len(members) else 0.0
            self.skills.append(SkillIndex(members, cKDTree(xy[members]), reach))

    def top(self, query: dict[str, Any], k: int = 10) -> list[str]:
        m = self.metro
        index = self.skills[query["skill"]]
        lat, lng = query["point"]
        start = query["start_min"]
        end = start + JOB_MINUTES
        near = index.tree.query_ball_point(plane(lat, lng), index.reach_km)
        idx = index.members[np.asarray(near, dtype=np.int64)]
        idx = idx[self.ok[idx] & (self.opens[idx] <= start) & (end - 1 < self.closes[idx])]
        km = haversine(m.lat[idx], m.lng[idx], lat, lng)
        inside = km <= m.radius[idx] + EDGE
        idx, km = idx[inside], km[inside]
        bs, be = m.b_start[idx], m.b_end[idx]
        overlap = (
            (bs - BUFFER_MIN < end + BUFFER_MIN) & (start - BUFFER_MIN < be + BUFFER_MIN)
        ).any(axis=1)
        idx, km, bs, be = idx[~overlap], km[~overlap], bs[~overlap], be[~overlap]
        rows = np.arange(len(idx))
        ended = np.where(be <= start, be, -1)
        before = ended.argmax(axis=1)
        has_before = ended[rows, before] >= 0
        later = np.where(bs >= end, bs, 1 << 30)
        after = later.argmin(axis=1)
        has_after = later[rows, after] < (1 << 30)
        o_lat = np.where(has_before, m.b_lat[idx, before], m.lat[idx])
        o_lng = np.where(has_before, m.b_lng[idx, before], m.lng[idx])
        minutes = haversine(o_lat, o_lng, lat, lng) * ROAD_FACTOR / SPEED_KMH * 60
        onward = haversine(lat, lng, m.b_lat[idx, after], m.b_lng[idx, after]) * ROAD_FACTOR
        onward = onward / SPEED_KMH * 60
        slack_before = np.where(has_before, start - (be[rows, before] + minutes), np.inf)
        slack_after = np.where(has_after, bs[rows, after] - (end + onward), np.inf)
        fits = (slack_before >= -EDGE) & (slack_after >= -EDGE)
        # "Sure": no value within EDGE of a boundary, so the exact rules agree for certain.
        sure = ((km <= m.radius[idx] - EDGE) & (slack_before >= EDGE) & (slack_after >= EDGE))[fits]
        idx, minutes = idx[fits], minutes[fits]
        if len(idx) == 0:
            return []
        approx = WEIGHTS["travel"] * np.maximum(0.0, 1 - minutes / 60) + self.static_score[idx]
        if sure.sum() > k:
            certain = approx[sure]
            cut = np.partition(certain, len(certain) - k)[len(certain) - k]
            finalists = idx[approx >= cut - SCORE_MARGIN]
        else:
            finalists = idx
        keys = [key for i in finalists if (key := exact(m, int(i), (lat, lng), start))]
        keys.sort()
        return [key[2] for key in keys[:k]]
