"""A server process collects garbage less often than Python's default (``core.web.collector``):
the young generation every 10,000 net allocations, not 700."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from core.web.collector import FIRST_THRESHOLD


@pytest.fixture
def default_thresholds() -> Iterator[tuple[int, int, int]]:
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*saved)


def test_starting_the_app_sets_the_young_generations_threshold(
    app: Any, default_thresholds: tuple[int, int, int]
) -> None:
    with TestClient(app, base_url="http://jiejia.localhost") as client:
        assert client.get("/health").status_code == 200
        assert gc.get_threshold() == (FIRST_THRESHOLD, 10, 10)
