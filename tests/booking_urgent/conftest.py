"""Fixtures of the urgent-request and series tests: the demo tenants ready to book, with the
fixed clock of ``tests.factories`` (``NOW``: Tuesday 10 March 2026, 10:00 in Shanghai)."""

from __future__ import annotations

import pytest

from tests.factories import World, make_world


@pytest.fixture
async def jiejia(db, plugins, tenants, settings) -> World:  # type: ignore[no-untyped-def]
    """Jiejia (housekeeping, Shanghai; free cancellation until 12 h before, then ¥30)."""
    return await make_world(plugins, tenants, settings, "jiejia")


@pytest.fixture
async def wanjia(db, plugins, tenants, settings) -> World:  # type: ignore[no-untyped-def]
    """Wanjia (every vertical, Hangzhou; urgent offers time out after 60 s, the search
    widens through 3, 6 and 12 km)."""
    return await make_world(plugins, tenants, settings, "wanjia")
