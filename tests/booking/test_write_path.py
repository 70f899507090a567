"""The SQLite write path under another process's lock: a booking's write transaction waits
for the lock on the event loop (the server keeps answering) instead of failing, and gives up
with "database is locked" only after ``BUSY_SECONDS``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from core.db import write_transaction
from core.db_pool import InLoopConnection, PooledSQLiteEngine
from core.tenancy.tables import TenantRow

pytestmark = pytest.mark.db


@pytest.fixture
def other_process(db, settings) -> Iterator[sqlite3.Connection]:  # type: ignore[no-untyped-def]
    """A second connection to the file (as the worker process has), holding the write lock."""
    if not isinstance(TenantRow._meta.db, PooledSQLiteEngine):
        pytest.skip("the single-writer path of SQLite")
    connection = sqlite3.connect(settings.sqlite_path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    yield connection
    if connection.in_transaction:
        connection.execute("ROLLBACK")
    connection.close()


async def test_a_write_waits_for_another_process_then_goes_through(
    other_process: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def other_process_finishes(seconds: float) -> None:
        waits.append(seconds)
        other_process.execute("COMMIT")

    monkeypatch.setattr(InLoopConnection, "pause", staticmethod(other_process_finishes))
    async with write_transaction():
        await TenantRow.insert(TenantRow(slug="waited"))

    assert len(waits) == 1  # it waited once (on the loop), then took the lock
    assert await TenantRow.exists().where(TenantRow.slug == "waited")


async def test_a_write_gives_up_when_the_lock_is_never_released(
    other_process: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def never(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr("core.db_pool.BUSY_SECONDS", 0.0)
    monkeypatch.setattr(InLoopConnection, "pause", staticmethod(never))
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        async with write_transaction():
            await TenantRow.insert(TenantRow(slug="never"))
    other_process.execute("ROLLBACK")
    assert not await TenantRow.exists().where(TenantRow.slug == "never")
