"""Fixtures of the booking and matching tests: each demo tenant ready to book."""

from __future__ import annotations

import pytest

from tests.factories import World, make_world


@pytest.fixture
async def jiejia(db, plugins, tenants, settings) -> World:  # type: ignore[no-untyped-def]
    """Jiejia (housekeeping, Shanghai; free cancellation until 12 h before, then ¥30)."""
    return await make_world(plugins, tenants, settings, "jiejia")


@pytest.fixture
async def wanjia(db, plugins, tenants, settings) -> World:  # type: ignore[no-untyped-def]
    """Wanjia (all four verticals, Hangzhou; the default policy: free until 24 h before)."""
    return await make_world(plugins, tenants, settings, "wanjia")
