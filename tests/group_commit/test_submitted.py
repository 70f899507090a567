"""Writes handed to the committer whole (``core.db.write``, the booking path): it runs the
writes queued meanwhile back to back in one group, each in its submitter's context and its own
savepoint, and answers each once the group's WAL is on disk.

SQLite only; the real database file and pool (``tests/group_commit/conftest.py``).
"""

from __future__ import annotations

import asyncio
import contextvars
import fcntl
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from core.db import write, write_transaction
from tests.group_commit.helpers import PROBE, Boom, SlowCommits, Turns, _engine, insert, stored

WHO: contextvars.ContextVar[str] = contextvars.ContextVar("test_submitter", default="nobody")


async def test_writes_queued_during_a_commit_run_back_to_back_in_one_group(
    probe: Path, commits: list[str], slow: tuple[SlowCommits, Any]
) -> None:
    """No other task gets a turn between two members: the group (and the file lock other
    processes wait for) is held for the writes' own statements only."""
    held, _ = slow
    seen: dict[int, int] = {}

    async with Turns() as turns:

        def work(n: int) -> Any:
            async def run() -> int:
                seen[n] = turns.count
                await insert(f"row {n}")
                return n

            return run

        first = asyncio.create_task(write(work(-1)))
        await held.until_started()  # the first group's WAL sync is held: writers gather
        later = [asyncio.create_task(write(work(n))) for n in range(10)]
        await asyncio.sleep(0.01)
        assert not any(task.done() for task in later)
        held.go.set()
        answers = await asyncio.wait_for(asyncio.gather(first, *later), 5)

    assert answers == [-1, *range(10)]
    assert len({seen[n] for n in range(10)}) == 1, f"other tasks ran between members: {seen}"
    assert len(commits) == 2
    assert stored(probe) == {"row -1", *(f"row {n}" for n in range(10))}


async def test_writes_submitted_by_tasks_ready_meanwhile_share_the_first_ones_group(
    probe: Path, commits: list[str]
) -> None:
    """The committer lets the loop run before it opens a group: requests that were ready to
    run (a turn or two from their write) join it, and one COMMIT serves them all."""

    def work(n: int) -> Any:
        async def run() -> int:
            await insert(f"row {n}")
            return n

        return run

    async def after_turns(n: int) -> int:
        for _ in range(n):
            await asyncio.sleep(0)
        return await write(work(n))

    first = asyncio.create_task(write(work(0)))
    later = [asyncio.create_task(after_turns(n)) for n in (1, 2)]
    answers = await asyncio.wait_for(asyncio.gather(first, *later), 5)

    assert answers == [0, 1, 2]
    assert len(commits) == 1
    assert stored(probe) == {"row 0", "row 1", "row 2"}


async def test_a_failing_write_loses_its_own_rows_only_and_gets_its_own_error(
    probe: Path, commits: list[str]
) -> None:
    def work(n: int) -> Any:
        async def run() -> str:
            await insert(f"row {n}")
            if n % 3 == 0:
                raise Boom(n)
            await insert(f"row {n} again")
            return f"done {n}"

        return run

    outcomes = await asyncio.gather(*(write(work(n)) for n in range(12)), return_exceptions=True)

    for n, outcome in enumerate(outcomes):
        if n % 3 == 0:
            assert isinstance(outcome, Boom) and outcome.args == (n,)
        else:
            assert outcome == f"done {n}"
    kept = [n for n in range(12) if n % 3]
    assert stored(probe) == {f"row {n}{s}" for n in kept for s in ("", " again")}
    assert len(commits) < len(kept), "the writes did not share a transaction"


async def test_a_write_runs_in_its_submitters_context(probe: Path) -> None:
    """The committer runs every write, but each sees its own submitter's context variables
    (the tenant scope is one), and sets nothing in another's."""

    async def submit(name: str) -> tuple[str, str]:
        WHO.set(name)

        async def run() -> str:
            seen = WHO.get()
            WHO.set("changed by the write")
            await insert(seen)
            return seen

        return await write(run), WHO.get()

    answers = await asyncio.gather(*(submit(f"customer {n}") for n in range(8)))

    assert answers == [(f"customer {n}", f"customer {n}") for n in range(8)]
    assert stored(probe) == {f"customer {n}" for n in range(8)}


async def test_a_write_whose_submitter_gave_up_before_it_ran_writes_nothing(
    probe: Path, slow: tuple[SlowCommits, Any]
) -> None:
    held, _ = slow
    first = asyncio.create_task(write(lambda: insert("first")))
    await held.until_started()
    quitter = asyncio.create_task(write(lambda: insert("given up")))
    stayer = asyncio.create_task(write(lambda: insert("stayed")))
    await asyncio.sleep(0)
    quitter.cancel()
    held.go.set()
    await asyncio.wait_for(asyncio.gather(first, stayer), 5)

    with pytest.raises(asyncio.CancelledError):
        await quitter
    assert stored(probe) == {"first", "stayed"}


async def test_a_write_may_wait_and_nest_a_block(probe: Path) -> None:
    """A write that waits for something (a real future) and opens a block of its own: the
    block is a savepoint of the write, undone alone when it fails."""

    async def run() -> str:
        await insert("before the wait")
        await asyncio.sleep(0.01)
        with pytest.raises(Boom):
            async with write_transaction():
                await insert("nested, undone")
                raise Boom
        async with write_transaction():
            await insert("nested, kept")
        return "ok"

    others = [asyncio.create_task(write(lambda n=n: insert(f"other {n}"))) for n in range(5)]
    assert await asyncio.wait_for(write(run), 5) == "ok"
    await asyncio.gather(*others)

    assert stored(probe) == {
        "before the wait",
        "nested, kept",
        *(f"other {n}" for n in range(5)),
    }


async def test_a_write_is_answered_only_once_the_wal_is_on_disk_and_others_write_meanwhile(
    probe: Path, outside: sqlite3.Connection, slow: tuple[SlowCommits, Any]
) -> None:
    """The group's COMMIT leaves the WAL to be synced by the committer's thread: another
    process may write at once (SQLite's lock and the file lock are free), but the submitter
    hears nothing until the sync is done."""
    held, _ = slow
    writer = asyncio.create_task(write(lambda: insert("mine")))
    await held.until_started()

    assert stored(probe) == {"mine"}  # committed (visible), not yet synced
    await asyncio.sleep(0.01)
    assert not writer.done(), "answered before the WAL was synced"
    lock = os.open(f"{probe}-writer", os.O_RDWR)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another process's turn: free
        fcntl.flock(lock, fcntl.LOCK_UN)
    finally:
        os.close(lock)
    outside.execute("BEGIN IMMEDIATE")
    outside.execute("ROLLBACK")

    held.go.set()
    await asyncio.wait_for(writer, 5)


async def test_the_wal_is_synced_before_the_answer(
    probe: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What is synced is the database's WAL file, before the writer is answered."""
    import core.db_group

    events: list[str] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        events.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        real_fsync(descriptor)

    monkeypatch.setattr(core.db_group.os, "fsync", fsync)

    async def run() -> None:
        await insert("synced")

    await write(run)
    events.append("answered")

    assert events == [f"{os.path.realpath(probe)}-wal", "answered"]


async def test_the_committer_copies_the_wal_into_the_database_every_few_groups(
    probe: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its connections do not checkpoint in their COMMIT (on the loop, holding the lock): a
    thread of its own does, every ``CHECKPOINT_EVERY`` groups, after the sync."""
    import core.db_group

    monkeypatch.setattr(core.db_group, "CHECKPOINT_EVERY", 4)
    committer = core.db_group.committer_for(_engine())
    committer._synced = 0

    def in_database_file() -> int:
        """Rows in the database file itself, the WAL left unread."""
        with sqlite3.connect(f"file:{probe}?immutable=1", uri=True) as connection:
            return int(connection.execute(f"SELECT count(*) FROM {PROBE}").fetchone()[0])

    with sqlite3.connect(probe) as connection:  # the empty probe table into the file
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    # More than SQLite's own checkpoint threshold (1,000 pages): a COMMIT would copy it.
    await write(lambda: insert("group 0, " + "x" * 5_000_000))
    for n in range(1, 3):
        await write(lambda n=n: insert(f"group {n}"))  # one group each (nobody else writes)
    assert in_database_file() == 0
    await write(lambda: insert("group 3"))
    checkpoint = committer._checkpointing
    assert checkpoint is not None  # started; it runs beside the writers, none waits for it
    await asyncio.wait_for(asyncio.wrap_future(checkpoint), 5)
    assert in_database_file() == 4


async def test_writers_are_answered_while_a_checkpoint_runs(
    probe: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkpoint (tens of milliseconds when it copies many groups) holds up no writer: the
    groups after it commit and are answered meanwhile."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import core.db_group

    monkeypatch.setattr(core.db_group, "CHECKPOINT_EVERY", 2)
    committer = core.db_group.committer_for(_engine())
    committer._synced = 0
    go = threading.Event()
    held = ThreadPoolExecutor(max_workers=1)
    real, committer._checkpointer = committer._checkpointer, held
    try:
        held.submit(go.wait, 5)  # the checkpoint thread is busy until the test lets it go
        for n in range(5):
            await asyncio.wait_for(write(lambda n=n: insert(f"group {n}")), 2)
        assert committer._checkpointing is not None and not committer._checkpointing.done()
        assert stored(probe) == {f"group {n}" for n in range(5)}
    finally:
        go.set()
        held.shutdown(wait=True)
        committer._checkpointer = real


async def test_a_groups_bookings_bump_the_matching_version_once(
    probe: Path, slow: tuple[SlowCommits, Any], tenants: Any
) -> None:
    """Each booking tells the candidate indexes that its provider's holds changed; the writes
    of one group make one new version for all of them, just before its COMMIT."""
    from core.matching.version import bump_matching_version
    from core.tenancy.service import sync_tenant_rows, tenant_row_id

    await sync_tenant_rows(tenants)
    tenant = await tenant_row_id("jiejia")
    providers = [f"00000000-0000-7000-8000-00000000000{n}" for n in range(6)]

    def version() -> int:
        with sqlite3.connect(probe) as connection:
            found = connection.execute(
                "SELECT version FROM matching_version WHERE tenant = ?", (str(tenant),)
            ).fetchone()
        return int(found[0]) if found else 0

    held, _ = slow
    first = asyncio.create_task(
        write(lambda: bump_matching_version(tenant, providers[0], holds=True))
    )
    await held.until_started()
    before = version()  # the first group's, committed (its sync is held)
    later = [
        asyncio.create_task(write(lambda p=p: bump_matching_version(tenant, p, holds=True)))
        for p in providers[1:]
    ]
    await asyncio.sleep(0.01)
    held.go.set()
    await asyncio.wait_for(asyncio.gather(first, *later), 5)

    assert version() == before + 1
    with sqlite3.connect(probe) as connection:
        changes = connection.execute(
            "SELECT provider, holds FROM matching_change WHERE tenant = ? AND version = ?",
            (str(tenant), before + 1),
        ).fetchall()
    assert sorted(changes) == [(p, 1) for p in providers[1:]]
