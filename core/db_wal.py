"""The files beside a SQLite database that its group commits (``core.db_group``) keep: the
writer lock every process takes for a group, and the WAL's checkpoints.

Between processes (web workers on one file), a group holds an exclusive ``flock`` on a file
beside the database (``<db>-writer``) from before its ``BEGIN IMMEDIATE`` to after its
``COMMIT`` (``FileWriterLock``): a process waiting on ``flock`` (on a thread) wakes the moment
the other one lets go, where SQLite's own lock can only be polled for.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.db_pool import PooledSQLiteEngine

log = logging.getLogger(__name__)

RESTART_WAIT_SECONDS = 0.2
"""How long that checkpoint waits for the readers (and writers outside a group); past it,
it gives up having copied what it could, the writers go on, and the next try waits until the
WAL is twice as long."""


class FileWriterLock:
    """An exclusive ``flock`` on ``path`` shared by every process that writes the database
    through a group: taken before a group's ``BEGIN IMMEDIATE``, let go after its ``COMMIT``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self.held = False

    def _descriptor(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return self._fd

    async def acquire(self) -> None:
        fd = self._descriptor()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # Another process writes: wait on a thread, which wakes as soon as it lets go. A
            # cancellation must not leave the lock taken by a thread nobody listens to.
            waiting = asyncio.get_running_loop().run_in_executor(
                None, fcntl.flock, fd, fcntl.LOCK_EX
            )
            try:
                await asyncio.shield(waiting)
            except BaseException:
                waiting.add_done_callback(lambda done: done.cancelled() or self._unlock(fd))
                raise
        self.held = True

    def release(self) -> None:
        if self.held and self._fd is not None:
            self.held = False
            self._unlock(self._fd)

    @staticmethod
    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):  # the descriptor is gone: so is the lock
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the last descriptor lets go of the lock
            self._fd, self.held = None, False


def wal_size(path: str) -> int:
    """The file's length in bytes (0 when there is none)."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def writer_lock_for(engine: PooledSQLiteEngine) -> FileWriterLock | None:
    """The writer lock of ``engine``'s database file (none for an in-memory database)."""
    path = str(engine.path)
    if path in ("", ":memory:") or path.startswith("file:"):
        return None
    return FileWriterLock(f"{path}-writer")


def checkpoint(wal_path: str, start_over_holding: str | None, long_past: int) -> bool | None:
    """Copy what the readers allow of the WAL into the database (``PASSIVE``: no writer or
    reader waits for it). A failure is logged; the next one copies what this one did not.

    With ``start_over_holding`` (the writer lock's file; the WAL is past ``long_past`` bytes):
    copy all of it and cut it to nothing (``TRUNCATE``), holding the writer lock, so that the
    groups of every process wait for it on the lock (waking the moment it is let go) rather
    than SQLite's. It waits up to ``RESTART_WAIT_SECONDS`` for readers still on the WAL, then
    gives up. A WAL found no longer than ``long_past`` once the lock is held was cut by
    another process meanwhile (each process's syncs see the length): left alone.

    Returns whether the WAL was cut (or found cut) when the writer lock was taken; None when
    it was not (a passive checkpoint, or the lock's file could not be opened)."""
    database = wal_path.removesuffix("-wal")
    lock = None
    cut = False
    try:
        if start_over_holding is not None:
            lock = os.open(start_over_holding, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(lock, fcntl.LOCK_EX)
            if wal_size(wal_path) <= long_past:
                cut = True  # another process's checkpoint cut it meanwhile
                return cut
        mode = "PASSIVE" if lock is None else "TRUNCATE"
        with contextlib.closing(
            sqlite3.connect(database, timeout=RESTART_WAIT_SECONDS)
        ) as connection:
            busy = connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()[0]
        cut = lock is not None and busy == 0
    except (sqlite3.Error, OSError):
        log.warning("a WAL checkpoint failed; the next one retries", exc_info=True)
    finally:
        if lock is not None:
            os.close(lock)  # lets go of the writer lock
    return None if lock is None else cut
