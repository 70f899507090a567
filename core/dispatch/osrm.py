"""Road travel times from a self-hosted OSRM server (its HTTP ``table`` service).

Set ``policies.dispatch.osrm_url`` in the tenant's YAML; core's default travel-time hook then
returns this adapter. One table call per plan: every pair of points at once."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any

import numpy as np

from core.dispatch.schemas import TravelMatrix, TravelTimeEstimator

UNREACHABLE_S = 24 * 3600
"""What a pair OSRM cannot route between costs: a day, so no plan uses it."""


class OsrmError(RuntimeError):
    """The server could not answer (down, or ``code`` other than ``Ok``)."""


class OsrmTravelTime(TravelTimeEstimator):
    identifier = "osrm"

    def __init__(self, base_url: str, profile: str = "driving", timeout_s: float = 30.0) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self.timeout_s = timeout_s

    async def seconds(self, origin: tuple[float, float], dest: tuple[float, float]) -> int:
        found = await self.matrix([origin, dest])
        return int(found.seconds[0, 1])

    async def matrix(self, points: Sequence[tuple[float, float]]) -> TravelMatrix:
        if len(points) < 2:
            zero = np.zeros((len(points), len(points)), dtype=np.int64)
            return TravelMatrix(seconds=zero, metres=zero)
        # OSRM wants longitude first.
        where = ";".join(f"{lng:.6f},{lat:.6f}" for lat, lng in points)
        url = (
            f"{self.base_url}/table/v1/{urllib.parse.quote(self.profile)}/{where}"
            "?annotations=duration,distance"
        )
        body = await asyncio.to_thread(self._get, url)
        if body.get("code") != "Ok":
            raise OsrmError(f"OSRM answered {body.get('code')}: {body.get('message', '')}")
        return TravelMatrix(
            seconds=_table(body["durations"], UNREACHABLE_S),
            metres=_table(body["distances"], UNREACHABLE_S * 30),
        )

    def _get(self, url: str) -> dict[str, Any]:
        if not url.startswith(("http://", "https://")):
            raise OsrmError("the OSRM address must start with http:// or https://")
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as answer:  # noqa: S310
                return dict(json.loads(answer.read()))
        except (OSError, ValueError) as exc:
            raise OsrmError(f"OSRM server unreachable: {type(exc).__name__}") from exc


def _table(rows: list[list[float | None]], missing: int) -> np.ndarray:
    return np.array(
        [[missing if v is None else round(v) for v in row] for row in rows], dtype=np.int64
    )
