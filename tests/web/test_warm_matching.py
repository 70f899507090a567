"""A process builds its tenants' candidate indexes when it starts, in the background: at
100,000 providers the first search would otherwise wait seconds for it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core.matching.index import _INDEXES, forget_indexes, warm_indexes
from core.web.app import DoorstepPlugin
from tests.factories import make_world

pytestmark = pytest.mark.db


async def test_warming_builds_the_index_of_each_tenant_with_providers(
    db: Any, plugins: Any, tenants: Any, settings: Any
) -> None:
    world = await make_world(plugins, tenants, settings, "jiejia")
    await world.provider()  # jiejia now has a matching version
    forget_indexes()
    assert await warm_indexes(["jiejia", "no-such-tenant"]) == 1
    assert world.tenant_id in _INDEXES


def test_the_server_warms_the_indexes_when_it_starts(app: Any, client: Any) -> None:
    plugin = app.plugins.get(DoorstepPlugin)
    task = plugin._warming
    assert task is not None, "no warm-up was started"

    async def finished() -> None:
        await asyncio.wait_for(asyncio.shield(task), 30)

    client.blocking_portal.call(finished)
    assert task.done() and task.exception() is None
