"""The WAL is started over once it passes ``WAL_LIMIT_BYTES``: under a steady load, passive
checkpoints copy it but readers never leave it free to start over, and it grows without end.

SQLite only; the real database file and pool (``tests/group_commit/conftest.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.db import write
from tests.group_commit.helpers import PROBE, _engine, insert, stored

LIMIT = 256 * 1024
PAGE_OF_TEXT = "x" * 60_000  # about 15 pages of WAL a group


@pytest.fixture
def limited(probe: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A small WAL limit, no checkpoint by count, an empty WAL to start from; the WAL file."""
    import core.db_group

    monkeypatch.setattr(core.db_group, "WAL_LIMIT_BYTES", LIMIT)
    monkeypatch.setattr(core.db_group, "CHECKPOINT_EVERY", 10**9)
    with sqlite3.connect(probe) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    yield Path(f"{probe}-wal")


@pytest.fixture
def reader(probe: Path) -> Iterator[sqlite3.Connection]:
    """A reader in the middle of a read transaction: it keeps the WAL from starting over."""
    connection = sqlite3.connect(probe, isolation_level=None)
    connection.execute("BEGIN")
    connection.execute(f"SELECT count(*) FROM {PROBE}").fetchall()
    yield connection
    connection.close()


def writer_lock_taken(probe: Path) -> bool:
    descriptor = os.open(f"{probe}-writer", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        assert exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN)
        return True
    finally:
        os.close(descriptor)  # lets go of it if taken here
    return False


async def fill_past_the_limit() -> int:
    """Groups until one's sync finds the WAL past the limit; how many."""
    from core.db_group import committer_for

    committer = committer_for(_engine())
    committer._checkpointing = None
    for n in range(40):
        await asyncio.wait_for(write(lambda n=n: insert(f"group {n} {PAGE_OF_TEXT}")), 5)
        if committer._checkpointing is not None:
            return n + 1
    raise AssertionError("the WAL never passed the limit")


async def test_a_wal_past_the_limit_starts_over_once_its_readers_finish(
    probe: Path, limited: Path, reader: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checkpoint holds the writer lock while it waits for the reader, so the groups of
    every process wait for it there; once the reader is done, the WAL is copied and cut to
    nothing, and the waiting write goes on into the new one. Nothing written is lost."""
    import core.db_group
    import core.db_wal

    monkeypatch.setattr(core.db_wal, "RESTART_WAIT_SECONDS", 10)
    committer = core.db_group.committer_for(_engine())
    groups = await fill_past_the_limit()
    assert limited.stat().st_size > LIMIT
    for _ in range(2000):  # the checkpoint thread takes the writer lock
        if writer_lock_taken(probe):
            break
        await asyncio.sleep(0.001)
    else:
        raise AssertionError("the checkpoint never took the writer lock")
    waiting = asyncio.create_task(write(lambda: insert("after the checkpoint")))
    await asyncio.sleep(0.05)
    assert not waiting.done()

    reader.execute("COMMIT")  # the reader is done with the WAL
    await asyncio.wait_for(waiting, 10)
    checkpoint = committer._checkpointing
    assert checkpoint is not None
    await asyncio.wait_for(asyncio.wrap_future(checkpoint), 10)
    assert limited.stat().st_size < LIMIT  # the last write alone, in a new WAL
    assert stored(probe) == {
        *(f"group {n} {PAGE_OF_TEXT}" for n in range(groups)),
        "after the checkpoint",
    }


async def test_a_reader_that_stays_holds_writers_up_once_for_no_longer_than_the_wait(
    probe: Path, limited: Path, reader: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checkpoint gives up after ``RESTART_WAIT_SECONDS``; the writers go on, the WAL keeps
    what it has, and the next try waits until it is twice as long (the reader may be a long
    export: it must not cost every group a wait). Once the reader is gone, a later try cuts
    it."""
    import core.db_group
    import core.db_wal

    monkeypatch.setattr(core.db_wal, "RESTART_WAIT_SECONDS", 0.05)
    committer = core.db_group.committer_for(_engine())
    tries: list[bool] = []
    real = committer._checkpoint

    def counted(wal_path: str, start_over_holding: str | None = None) -> None:
        tries.append(start_over_holding is not None)
        real(wal_path, start_over_holding)

    monkeypatch.setattr(committer, "_checkpoint", counted)
    await fill_past_the_limit()
    size = limited.stat().st_size
    for n in range(3):  # answered, though the reader stays
        await asyncio.wait_for(write(lambda n=n: insert(f"while read {n}")), 5)
        checkpoint = committer._checkpointing
        assert checkpoint is not None
        await asyncio.wait_for(asyncio.wrap_future(checkpoint), 5)
    assert limited.stat().st_size < 2 * size  # not yet twice as long: no second try
    assert tries == [True]
    assert not writer_lock_taken(probe)

    reader.execute("COMMIT")
    for n in range(40):  # until the WAL is twice as long, and cut
        await asyncio.wait_for(write(lambda n=n: insert(f"after {n} {PAGE_OF_TEXT}")), 5)
        checkpoint = committer._checkpointing
        assert checkpoint is not None
        await asyncio.wait_for(asyncio.wrap_future(checkpoint), 5)
        if limited.stat().st_size < LIMIT:
            break
    assert limited.stat().st_size < LIMIT
    assert tries == [True, True]
    assert {"while read 2", f"after 0 {PAGE_OF_TEXT}"} <= stored(probe)


async def test_a_try_that_finds_the_wal_already_cut_waits_for_nobody(
    probe: Path, limited: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two server processes each see the WAL past the limit after their own syncs; the second
    to take the writer lock finds it cut by the first, and leaves it (it would otherwise wait
    for the readers on the new WAL, the writers of both processes waiting behind it)."""
    import core.db_group
    import core.db_wal

    monkeypatch.setattr(core.db_wal, "RESTART_WAIT_SECONDS", 10)
    committer = core.db_group.committer_for(_engine())
    await write(lambda: insert(f"after the cut {PAGE_OF_TEXT}"))  # the other process's
    assert 0 < limited.stat().st_size < LIMIT
    with contextlib.closing(sqlite3.connect(probe, isolation_level=None)) as reader:
        reader.execute("BEGIN")
        reader.execute(f"SELECT count(*) FROM {PROBE}").fetchall()  # reads the new WAL
        await asyncio.wait_for(
            asyncio.to_thread(committer._checkpoint, str(limited), f"{probe}-writer"), 2
        )
    assert not writer_lock_taken(probe)
    assert f"after the cut {PAGE_OF_TEXT}" in stored(probe)
