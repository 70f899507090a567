"""Fixtures of the quality tests: each demo tenant, and a booking served in jiejia."""

from __future__ import annotations

import pytest

from tests.factories import World, make_world
from tests.quality.world import Served, serve


@pytest.fixture
async def jiejia(db, plugins, tenants, settings) -> World:  # type: ignore[no-untyped-def]
    return await make_world(plugins, tenants, settings, "jiejia")


@pytest.fixture
async def wanjia(db, plugins, tenants, settings) -> World:  # type: ignore[no-untyped-def]
    return await make_world(plugins, tenants, settings, "wanjia")


@pytest.fixture
async def served(jiejia: World) -> Served:
    return await serve(jiejia)
