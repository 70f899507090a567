"""Group commit on SQLite (``core.db_group``): concurrent ``write_transaction`` blocks share a
COMMIT, yet each block stays its own unit of work and returns only once it is durable.

SQLite only (the PostgreSQL path is a plain transaction per block); real database file, the
real pool. COMMITs are counted by SQLite's own statement trace on the pooled connections.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from core.db import write_transaction
from tests.group_commit.helpers import (
    BLOCKS,
    PROBE,
    Boom,
    SlowCommits,
    Turns,
    _engine,
    insert,
    stored,
)


async def test_concurrent_blocks_share_commits_and_every_write_is_stored(
    probe: Path, commits: list[str]
) -> None:
    async def block(n: int) -> None:
        async with write_transaction():
            await insert(f"row {n}")
            await insert(f"row {n} again")

    await asyncio.gather(*(block(n) for n in range(BLOCKS)))

    assert stored(probe) == {f"row {n}{s}" for n in range(BLOCKS) for s in ("", " again")}
    assert 1 <= len(commits) < BLOCKS / 4, f"{len(commits)} COMMITs for {BLOCKS} blocks"


async def test_a_failing_block_loses_its_own_writes_only(probe: Path, commits: list[str]) -> None:
    async def block(n: int) -> None:
        async with write_transaction():
            await insert(f"row {n}")
            if n % 3 == 0:
                raise Boom(n)
            await insert(f"row {n} again")

    outcomes = await asyncio.gather(*(block(n) for n in range(BLOCKS)), return_exceptions=True)

    failed = {n for n, outcome in enumerate(outcomes) if isinstance(outcome, Boom)}
    assert failed == {n for n in range(BLOCKS) if n % 3 == 0}
    assert all(outcome is None for n, outcome in enumerate(outcomes) if n not in failed)
    kept = {n for n in range(BLOCKS) if n not in failed}
    assert stored(probe) == {f"row {n}{s}" for n in kept for s in ("", " again")}
    assert len(commits) < len(kept), "the blocks did not share a transaction"


async def test_a_block_returns_only_once_its_writes_are_committed(
    probe: Path, outside: sqlite3.Connection, commits: list[str]
) -> None:
    seen_at_return: dict[int, bool] = {}

    async def block(n: int) -> None:
        async with write_transaction():
            await insert(f"row {n}")
        found = outside.execute(f"SELECT 1 FROM {PROBE} WHERE label = ?", (f"row {n}",))
        seen_at_return[n] = found.fetchone() is not None

    await asyncio.gather(*(block(n) for n in range(BLOCKS)))

    assert seen_at_return == dict.fromkeys(range(BLOCKS), True)
    assert len(commits) < BLOCKS, "the blocks did not share a transaction"


async def _first_then_a_queued_writer() -> tuple[asyncio.Task[None], asyncio.Task[None]]:
    """A block that ends while another writer is queued for the lock and cancels that writer
    as its last act: the group is left to a writer that will never come."""
    holding, queued = asyncio.Event(), asyncio.Event()
    waiter: asyncio.Task[None] | None = None

    async def first() -> None:
        async with write_transaction():
            await insert("first")
            holding.set()
            await queued.wait()
            assert waiter is not None
            waiter.cancel()

    async def second() -> None:
        queued.set()  # nothing yields between here and queueing for the writer lock
        async with write_transaction():
            await insert("never written")

    member = asyncio.create_task(first())
    await holding.wait()
    waiter = asyncio.create_task(second())
    await queued.wait()
    return member, waiter


async def test_a_writer_cancelled_in_the_queue_does_not_strand_the_group(probe: Path) -> None:
    member, waiter = await _first_then_a_queued_writer()

    await asyncio.wait_for(member, timeout=5)

    assert stored(probe) == {"first"}
    with pytest.raises(asyncio.CancelledError):
        await waiter


async def test_a_group_whose_members_were_all_cancelled_is_still_committed(
    probe: Path, outside: sqlite3.Connection
) -> None:
    member, waiter = await _first_then_a_queued_writer()
    await asyncio.sleep(0)  # the first block has ended and waits for the commit
    member.cancel()

    async def committed() -> None:
        while True:
            try:
                outside.execute("BEGIN IMMEDIATE")  # SQLite's write lock is free again
            except sqlite3.OperationalError:
                await asyncio.sleep(0)
            else:
                outside.execute("ROLLBACK")
                return

    await asyncio.wait_for(committed(), timeout=5)
    assert stored(probe) == {"first"}
    outcomes = await asyncio.gather(member, waiter, return_exceptions=True)
    assert all(isinstance(outcome, asyncio.CancelledError) for outcome in outcomes)


async def test_a_failed_commit_fails_every_member_and_keeps_nothing(probe: Path) -> None:
    async def block(n: int) -> None:
        async with write_transaction():
            # Only the COMMIT checks a deferred foreign key: one orphan sinks the group.
            await insert(f"row {n}", parent=999_999 if n == 0 else None)
            await asyncio.sleep(0)  # the others reach the lock meanwhile: one group

    outcomes = await asyncio.gather(*(block(n) for n in range(BLOCKS)), return_exceptions=True)

    assert all(isinstance(outcome, sqlite3.IntegrityError) for outcome in outcomes), outcomes
    assert stored(probe) == set()
    async with write_transaction():  # the writer lock and SQLite's lock are free again
        await insert("after")
    assert stored(probe) == {"after"}


async def test_a_block_inside_a_block_is_a_savepoint_of_it(probe: Path) -> None:
    async with write_transaction():
        await insert("outer")
        with pytest.raises(Boom):
            async with write_transaction():
                await insert("inner, undone")
                raise Boom
        async with write_transaction():
            await insert("inner, kept")

    assert stored(probe) == {"outer", "inner, kept"}


async def test_a_block_inside_another_transaction_runs_in_it(probe: Path) -> None:
    async with _engine().transaction():
        async with write_transaction():
            await insert("joined")
        assert stored(probe) == set(), "committed before the transaction it joined"

    assert stored(probe) == {"joined"}


async def test_the_loop_serves_other_work_while_a_group_commits_and_writers_gather(
    probe: Path, commits: list[str], slow: tuple[SlowCommits, Any]
) -> None:
    held, committer = slow
    first = asyncio.create_task(_one_block("first"))
    await held.until_started()
    # The fsync runs on a thread: this task still gets turns, and writers who arrive
    # meanwhile queue for the lock.
    later = [asyncio.create_task(_one_block(f"later {n}")) for n in range(10)]
    await asyncio.sleep(0.01)
    assert not first.done() and all(not task.done() for task in later)
    assert committer.queued == 10
    held.go.set()
    await asyncio.wait_for(asyncio.gather(first, *later), 5)
    assert stored(probe) == {"first", *(f"later {n}" for n in range(10))}
    assert len(commits) == 2, "the writers who waited for a commit did not share the next one"


async def test_a_writer_cancelled_while_its_group_commits_keeps_the_lock_until_it_ends(
    probe: Path, outside: sqlite3.Connection, slow: tuple[SlowCommits, Any]
) -> None:
    held, committer = slow
    first = asyncio.create_task(_one_block("first"))
    await held.until_started()
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert committer.lock.locked(), "the lock was let go before the commit ended"
    second = asyncio.create_task(_one_block("second"))
    await asyncio.sleep(0.01)
    assert not second.done()
    held.go.set()
    await asyncio.wait_for(second, 5)
    assert stored(probe) == {"first", "second"}  # the cancelled block's writes committed
    assert not committer.lock.locked()


async def test_a_long_write_block_still_lets_other_tasks_run(probe: Path) -> None:
    """A block's statements run without pausing (the lock is held for its own work), but a
    long batch pauses every ``YIELD_EVERY`` statements: requests are never starved."""
    from core.db_pool import YIELD_EVERY

    async with Turns() as turns, write_transaction():
        before = turns.count
        for n in range(10 * YIELD_EVERY):
            await insert(f"row {n}")
        during = turns.count - before
    assert 9 <= during <= 11, during  # one turn for each YIELD_EVERY statements
    assert len(stored(probe)) == 10 * YIELD_EVERY


async def _one_block(label: str) -> None:
    async with write_transaction():
        await insert(label)


# --- between processes: the writer lock beside the database file ----------------------------


async def test_a_group_holds_the_file_writer_lock_from_begin_to_commit(probe: Path) -> None:
    """Another process's group (here: another descriptor of the lock file) cannot start while
    this one is open, and can the moment it commits."""
    import fcntl
    import os

    other = os.open(f"{probe}-writer", os.O_RDWR | os.O_CREAT)
    seen: list[bool] = []

    def free() -> bool:
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(other, fcntl.LOCK_UN)
        return True

    try:
        async with write_transaction():
            await insert("held")
            seen.append(free())
        seen.append(free())
    finally:
        os.close(other)
    assert seen == [False, True]


async def test_a_writer_waiting_for_another_process_wakes_when_it_lets_go(tmp_path: Path) -> None:
    from core.db_wal import FileWriterLock

    path = str(tmp_path / "db-writer")
    holder, waiter = FileWriterLock(path), FileWriterLock(path)
    try:
        await holder.acquire()
        waiting = asyncio.ensure_future(waiter.acquire())
        await asyncio.sleep(0.05)
        assert not waiting.done()  # the other process writes
        holder.release()
        await asyncio.wait_for(waiting, 2)  # woken by the release, not by polling
        assert waiter.held
    finally:
        holder.close()
        waiter.close()


async def test_a_writer_cancelled_while_waiting_leaves_the_lock_free(tmp_path: Path) -> None:
    """The wait runs on a thread that may get the lock after its writer gave up: it must let
    go of it, or every process would wait for ever."""
    from core.db_wal import FileWriterLock

    path = str(tmp_path / "db-writer")
    holder, quitter, later = FileWriterLock(path), FileWriterLock(path), FileWriterLock(path)
    try:
        await holder.acquire()
        waiting = asyncio.ensure_future(quitter.acquire())
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        holder.release()  # the quitter's thread now gets the lock, and must hand it back
        await asyncio.wait_for(later.acquire(), 2)
        assert later.held and not quitter.held
    finally:
        for lock in (holder, quitter, later):
            lock.close()
