"""The group commit tests' probe table, its writes and reads, and the committer's thread held
until a test lets it go."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

BLOCKS = 40
PROBE = "test_group_probe"


class Boom(RuntimeError):
    """What a failing block raises."""


def _engine() -> Any:
    from core.tenancy.tables import TenantRow

    return TenantRow._meta.db


async def insert(label: str, parent: int | None = None) -> None:
    """A write through Piccolo, as the services do (it must run in the block's transaction)."""
    from core.tenancy.tables import TenantRow

    await TenantRow.raw(f"INSERT INTO {PROBE} (label, parent) VALUES ({{}}, {{}})", label, parent)


def stored(path: Path) -> set[str]:
    """The committed labels, read on a connection of its own."""
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute(f"SELECT label FROM {PROBE}")}


class SlowCommits:
    """The committer's thread, made to hold each group's sync of the WAL (after its
    ``COMMIT``, before its members are answered) until the test lets it go."""

    def __init__(self) -> None:
        import threading

        self.started, self.go = threading.Event(), threading.Event()

    def install(self) -> Any:
        from core.db_group import committer_for

        committer = committer_for(_engine())
        real = committer._thread

        class Held:
            def submit(inner, fn: Any, *args: Any) -> Any:
                def held() -> Any:
                    self.started.set()
                    self.go.wait(5)
                    return fn(*args)

                return real.submit(held)

        committer._thread = Held()
        return committer, real

    async def until_started(self) -> None:
        for _ in range(5000):
            if self.started.is_set():
                return
            await asyncio.sleep(0.001)
        raise AssertionError("no COMMIT reached the committer's thread")


class Turns:
    """Another task that counts the turns the event loop gives it (``async with``)."""

    def __init__(self) -> None:
        self.count = 0
        self._stop = False
        self._task: asyncio.Task[None] | None = None

    async def _spin(self) -> None:
        while not self._stop:
            self.count += 1
            await asyncio.sleep(0)

    async def __aenter__(self) -> Turns:
        self._task = asyncio.create_task(self._spin())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stop = True
        assert self._task is not None
        await self._task
