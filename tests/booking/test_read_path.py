"""SQLite reads on the event loop (``core.db_pool``): a request's few reads run straight
through, without a turn of the loop before each; a long loop of reads (an export) still lets
the other requests in every ``YIELD_EVERY`` statements."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from core.db_pool import YIELD_EVERY, PooledSQLiteEngine
from core.tenancy.tables import TenantRow

pytestmark = pytest.mark.db


@pytest.fixture
async def turns(db) -> AsyncIterator[list[int]]:  # type: ignore[no-untyped-def]
    """The turns another task (a request) has had: ``turns[0]``, which the test sets to 0
    (the loop runs between the fixture and the test)."""
    engine = TenantRow._meta.db
    if not isinstance(engine, PooledSQLiteEngine):
        pytest.skip("the in-loop reads of SQLite")
    engine.pool().statements = 0
    counted = [0]
    stop = asyncio.Event()

    async def other_request() -> None:
        while not stop.is_set():
            counted[0] += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(other_request())
    yield counted
    stop.set()
    await task


async def read() -> None:
    await TenantRow.exists().where(TenantRow.slug == "nobody")


async def test_a_few_reads_run_straight_through(turns: list[int]) -> None:
    turns[0] = 0
    for _ in range(5):
        await read()
    assert turns[0] == 0


async def test_a_long_loop_of_reads_lets_other_tasks_in(turns: list[int]) -> None:
    turns[0] = 0
    for _ in range(10 * YIELD_EVERY):
        await read()
    assert turns[0] >= 10
