"""What the group commit tests share: a probe table in the test database, the COMMITs counted
by SQLite's own statement trace, and the committer's thread held until a test lets it go."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.group_commit.helpers import PROBE, SlowCommits, _engine


@pytest.fixture
async def probe(migrated: None, settings: Any) -> AsyncIterator[Path]:
    """An empty probe table in the test database (a deferred foreign key onto itself lets a
    block write a row that only COMMIT refuses); yields the database file."""
    from core.db_pool import PooledSQLiteEngine

    if not isinstance(_engine(), PooledSQLiteEngine):
        pytest.skip("group commit is SQLite's")
    path = Path(settings.sqlite_path)
    with sqlite3.connect(path) as connection:
        connection.execute(
            f"CREATE TABLE IF NOT EXISTS {PROBE} (id INTEGER PRIMARY KEY, label TEXT NOT NULL,"
            f" parent INTEGER REFERENCES {PROBE}(id) DEFERRABLE INITIALLY DEFERRED)"
        )
        connection.execute(f"DELETE FROM {PROBE}")
    yield path


@pytest.fixture
async def commits() -> AsyncIterator[list[str]]:
    """Every COMMIT the pooled connections of this loop run during the test."""
    pool = _engine().pool()
    seen: list[str] = []

    def trace(statement: str) -> None:
        if statement.strip().upper().startswith("COMMIT"):
            seen.append(statement)

    connections = [await pool.acquire() for _ in range(pool.size)]
    for connection in connections:
        connection._conn.set_trace_callback(trace)
    for connection in connections:
        await pool.release(connection)
    yield seen
    for connection in pool.idle:
        connection._conn.set_trace_callback(None)


@pytest.fixture
def outside(probe: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(probe, timeout=0)
    yield connection
    connection.close()


@pytest.fixture
async def slow(probe: Path) -> AsyncIterator[tuple[SlowCommits, Any]]:
    """Groups held on the committer's thread (their WAL sync) until the test lets them go;
    the committer."""
    held = SlowCommits()
    committer, real = held.install()
    try:
        yield held, committer
    finally:
        held.go.set()
        committer._thread = real
