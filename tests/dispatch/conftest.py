"""Fixtures of the dispatch tests: a demo tenant ready to book and plan."""

from __future__ import annotations

import pytest

from tests.factories import World, make_world


@pytest.fixture
async def jiejia(db, plugins, tenants, settings) -> World:  # type: ignore[no-untyped-def]
    """Jiejia (housekeeping, Shanghai)."""
    return await make_world(plugins, tenants, settings, "jiejia")
