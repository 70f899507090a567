"""Group commit on SQLite: the ``write_transaction`` blocks of one event loop share a
transaction and its ``COMMIT`` (one ``fsync`` for many writes).

The first writer opens a ``BEGIN IMMEDIATE`` transaction (the group) on a pooled connection.
Each block runs in its own ``SAVEPOINT`` of it while holding the loop's writer lock, so blocks
still run one at a time and each sees the writes of those before it:

- a block that raises is rolled back to its savepoint: its own writes vanish, the others' stay,
  its exception propagates;
- a block that succeeds releases its savepoint. If no other writer is waiting for the lock (or
  the group is full or old: ``MAX_MEMBERS``, ``MAX_OPEN_SECONDS``) it commits the group;
  otherwise it hands the lock on and waits for a later member to commit. No block returns
  before its writes are committed; a failed ``COMMIT`` reaches every member of the group.

A group is never left open with nobody to commit it: a writer cancelled while queued for the
lock, when it was the last one queued, commits the group in a task of its own, and members
waiting for the commit check every ``WAKE_SECONDS`` that the lock is in use. A block cancelled
while it waits for the commit raises ``CancelledError``, but its writes are committed with the
group's (as if the cancellation had come just after its own ``COMMIT``).

A block inside a block (same task) is a savepoint of the outer one, as on PostgreSQL. A block
inside a transaction opened another way joins that transaction under the writer lock (any
open group is committed first, so SQLite's write lock is free for it).

A write handed over whole (``submit``: ``core.db.write``, the booking path) is run by the
committer itself: the writes queued while a group commits run back to back in the next group,
each in its submitter's context and its own savepoint, with no turn of the loop between them.
Blocks (``async with``) run in their own tasks, so each member waits for the loop to come round
to it, and the group (with the file lock below) stays open meanwhile: measured with two web
workers, 40 % of a group's open time went to other requests' turns between members.

Durability: a group's connection runs with ``synchronous=NORMAL``, so its ``COMMIT`` writes
the WAL without waiting for the disk; the committer's thread then ``fsync``s the WAL, and only
then are the members answered (``_commit``). What a writer is told is committed is on disk, as
with ``FULL``; but SQLite's lock, and the file lock below, are free during the ``fsync``, which
held them for 2-3 ms per group before. Readers may see a group's rows that long before they
are durable. Checkpoints (the WAL copied into the database file) run on a thread of their own,
on a connection of their own, every ``CHECKPOINT_EVERY`` groups after the sync: a group's
connection does not checkpoint in its ``COMMIT`` (SQLite's own every 1,000 pages, on the loop,
with the locks held), and the next group does not wait for one. A WAL past
``WAL_LIMIT_BYTES`` is copied whole and cut to nothing by a checkpoint holding the writer lock
(``_checkpoint``): passive ones never start it over under a steady load.

Between processes (web workers on one file), a group holds an exclusive ``flock`` on a file
beside the database (``<db>-writer``) from before its ``BEGIN IMMEDIATE`` to after its
``COMMIT`` (``core.db_wal.FileWriterLock``). SQLite's own lock would do for correctness, but a
process that finds it taken can only poll for it (sleeping longer each time), so two workers spent
much of their time asleep while the lock was free; a process waiting on ``flock`` (on a
thread) wakes the moment the other one lets go. Writers that do not take it (the CLI, a
migration) still meet SQLite's lock and wait for it as before.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import logging
import os
import sqlite3
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from piccolo.engine.sqlite import TransactionType

from core.commit_hooks import CommitHooks, collect
from core.db_pool import InLoopConnection, PooledSQLiteEngine, PooledTransaction, _Pool
from core.db_wal import FileWriterLock, checkpoint, wal_size, writer_lock_for

log = logging.getLogger(__name__)

MAX_MEMBERS = 64
"""A group commits once this many blocks are in it, even with writers waiting."""
MAX_OPEN_SECONDS = 0.02
"""... or once it has been open this long: the first member's answer waits no longer."""
CHECKPOINT_EVERY = 128
"""Every this many groups, the checkpoint thread copies the WAL into the database (a passive
checkpoint, if the last one is done). Rarer copies coalesce more: a page written by several
groups meanwhile (the tables' last pages, the indexes' busy leaves) is copied once. In process,
16 concurrent bookings: 1.39-1.49 ms of CPU a request against 1.53-1.61 with every 32 groups;
every 512 did no better than 128."""
GATHER_TURNS = 3
"""Before opening a group, the committer lets the loop run this many times: the tasks ready
meanwhile (members of the last group sending their answers, requests whose reads are done)
submit their writes into this group rather than the next, and each group's fixed cost (its
``BEGIN``, version bump, ``COMMIT``, WAL sync and locks) is shared by more bookings. No lock
is held while it waits. Measured back to back (2 workers, 16 and 64 clients spread evenly, one
state of a machine whose speed drifts by a fifth): 843-884 and 906-933 bookings/s without it;
892-980 and 1,066-1,095 with 1, 3 or 6 turns, which could not be told apart."""
WAL_LIMIT_BYTES = 64 * 1024 * 1024
"""A WAL file larger than this after a group's sync is started over: the next checkpoint is a
``TRUNCATE`` one, which holds the writer lock while it waits for the readers of the WAL to
finish. A passive checkpoint copies the WAL but cannot start it over while readers use it,
which under a steady load is always: in a minute of the booking benchmark the file grew from
45 to 475 MB (each group's pages appended), and every reader's lookups with it."""
WAKE_SECONDS = 0.05
"""How often a member waiting for its group's commit checks that someone will commit it."""


class GroupTransaction(PooledTransaction):
    """The Piccolo transaction of a group: ``engine.current_transaction`` while a member's
    block runs, so the block's queries run on the group's connection."""


T = TypeVar("T")


class _Write:
    """A write handed to the committer: the work, its submitter's context, and the answer the
    submitter waits for."""

    __slots__ = ("answer", "context", "work")

    def __init__(self, work: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        self.work = work
        self.context = contextvars.copy_context()
        self.answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()


class _Group:
    def __init__(self, transaction: GroupTransaction, pool: _Pool, opened: float) -> None:
        self.transaction = transaction
        self.connection: InLoopConnection = transaction.connection
        self.pool = pool
        self.opened = opened
        self.members = 0
        """Blocks whose writes are in the transaction (savepoint released)."""
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.answers: list[tuple[asyncio.Future[Any], Any]] = []
        """Submitted writes in the group and their results, answered when it commits."""
        self.hooks = CommitHooks()
        """What the submitted writes left for just before the ``COMMIT`` (``before_commit``:
        the matching version, bumped once a group, not once a booking)."""


_member: ContextVar[tuple[_Group, asyncio.Task[Any] | None] | None] = ContextVar(
    "doorstep_write_group", default=None
)
"""The group whose block this task is running (a nested block becomes a savepoint)."""


class GroupCommitter:
    """The writer lock and the open group of one engine on one event loop."""

    def __init__(
        self, between_processes: FileWriterLock | None = None, wal_path: str | None = None
    ) -> None:
        self.lock = asyncio.Lock()
        self.between_processes = between_processes
        """Held from a group's ``BEGIN`` to its ``COMMIT`` (see the module's docstring)."""
        self.queued = 0
        """Writers waiting for the lock."""
        self.group: _Group | None = None
        self._names = itertools.count(1)
        self._rescues: set[asyncio.Task[None]] = set()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="doorstep-commit")
        """Where a group's ``COMMIT`` (its ``fsync``) runs, so the loop goes on meanwhile."""
        self._committing: asyncio.Task[None] | None = None
        self.wal_path = wal_path
        self._in_wal: bool | None = None
        self._synced = 0
        """The database's WAL, synced after each group's ``COMMIT`` (none in memory: the
        connection then stays ``synchronous=FULL``)."""
        self._cut_at = 0
        """The WAL's length past which a sync has it cut (``_checkpoint``), when above
        ``WAL_LIMIT_BYTES``: after a try the readers defeated, twice the length it had."""
        self._checkpointer = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="doorstep-checkpoint"
        )
        self._checkpointing: Future[None] | None = None
        self.pending: deque[_Write] = deque()
        """Submitted writes not yet run."""
        self._driver: asyncio.Task[None] | None = None

    # --- the ways in ------------------------------------------------------------------------

    @asynccontextmanager
    async def block(self, engine: PooledSQLiteEngine) -> AsyncIterator[None]:
        """One ``write_transaction`` block as a member of the open group (or a new one)."""
        await self._acquire()
        try:
            group = self.group or await self._open(engine)
            name = self._savepoint(group)
        except BaseException:
            await self._leave()
            raise
        token = engine.current_transaction.set(group.transaction)
        inside = _member.set((group, asyncio.current_task()))
        try:
            yield
        except BaseException:
            _member.reset(inside)
            engine.current_transaction.reset(token)
            await self._undo(group, name)
            await self._leave()
            raise
        _member.reset(inside)
        engine.current_transaction.reset(token)
        if not group.done.done():  # else lost while the block ran: _wait raises why
            try:
                group.connection.run_now(f"RELEASE SAVEPOINT {name}")
            except sqlite3.Error as exc:
                await self._break(group, exc)
            else:
                group.members += 1
        await self._leave()
        await self._wait(group)

    async def submit(
        self, engine: PooledSQLiteEngine, work: Callable[[], Coroutine[Any, Any, T]]
    ) -> T:
        """Run ``work()`` as a member of a group, by the committer's own task, and return its
        result once the group has committed (its exception, its writes undone, if it raised).
        Cancelled before it ran, it writes nothing; cancelled after, its writes are committed
        with the group's (as for a block)."""
        write = _Write(work)
        self.pending.append(write)
        if self._driver is None:
            self._driver = asyncio.get_running_loop().create_task(self._drive(engine))
        result: T = await write.answer
        return result

    @asynccontextmanager
    async def nested(self, group: _Group) -> AsyncIterator[None]:
        """A block inside a member's block: a savepoint of it (the lock is already held)."""
        if group.done.done():
            group.done.result()  # the group was lost earlier in the outer block
        name = self._savepoint(group)
        try:
            yield
        except BaseException:
            await self._undo(group, name)
            raise
        group.connection.run_now(f"RELEASE SAVEPOINT {name}")

    @asynccontextmanager
    async def joining(self) -> AsyncIterator[None]:
        """A block inside a transaction opened outside ``write_transaction``: it runs in that
        transaction, alone, with no group holding SQLite's write lock."""
        await self._acquire()
        try:
            if self.group is not None:
                await self._commit(self.group)
            yield
        finally:
            self._unlock()

    # --- the committer's own task: submitted writes, back to back ----------------------------

    async def _drive(self, engine: PooledSQLiteEngine) -> None:
        try:
            while self.pending:
                for _ in range(GATHER_TURNS):  # before any lock is taken
                    await asyncio.sleep(0)
                await self._acquire()
                try:
                    group = self.group or await self._open(engine)
                except BaseException as exc:
                    self._unlock()
                    self._fail_pending(exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                try:
                    await self._run_pending(engine, group)
                finally:
                    await self._leave()
        except BaseException as exc:  # the loop is shutting down
            self._fail_pending(exc)
            raise
        finally:
            self._driver = None

    async def _run_pending(self, engine: PooledSQLiteEngine, group: _Group) -> None:
        """Run the queued writes in ``group`` one after the other, while it has room."""
        loop = asyncio.get_running_loop()
        while (
            self.pending
            and not group.done.done()
            and group.members < MAX_MEMBERS
            and loop.time() - group.opened < MAX_OPEN_SECONDS
        ):
            write = self.pending.popleft()
            if write.answer.done():  # its submitter gave up before it ran
                continue
            name = self._savepoint(group)
            context = write.context
            context.run(engine.current_transaction.set, group.transaction)
            context.run(_member.set, (group, asyncio.current_task()))
            context.run(collect, group.hooks)
            try:
                value = await _run_in(context, context.run(write.work))
            except asyncio.CancelledError:
                await self._undo(group, name)
                write.answer.cancel()
                raise
            except Exception as exc:
                await self._undo(group, name)
                _answer(write.answer, error=exc)
                continue
            if group.done.done():  # lost while it ran: its members learn why
                _answer(write.answer, error=group.done.exception())
                continue
            try:
                group.connection.run_now(f"RELEASE SAVEPOINT {name}")
            except sqlite3.Error as exc:
                _answer(write.answer, error=exc)
                await self._break(group, exc)
                continue
            group.members += 1
            group.answers.append((write.answer, value))

    def _fail_pending(self, error: BaseException) -> None:
        while self.pending:
            _answer(self.pending.popleft().answer, error=error)

    # --- the group's life -------------------------------------------------------------------

    async def _acquire(self) -> None:
        self.queued += 1
        try:
            await self.lock.acquire()
        except BaseException:
            self.queued -= 1
            self._rescue()
            raise
        self.queued -= 1

    async def _open(self, engine: PooledSQLiteEngine) -> _Group:
        pool = engine.pool()
        connection = await pool.acquire()
        outer = engine.current_transaction.set(None)  # a group is never nested in another
        try:
            transaction = GroupTransaction(engine, TransactionType.immediate)
        finally:
            engine.current_transaction.reset(outer)
        transaction.connection = connection
        try:
            if self.between_processes is not None:
                await self.between_processes.acquire()
            if self._syncs_wal(connection):
                connection.run_now("PRAGMA synchronous = NORMAL")  # _commit syncs the WAL
                connection.run_now("PRAGMA wal_autocheckpoint = 0")  # _sync checkpoints
            await transaction.begin()  # waits (on the loop) for a write lock held elsewhere
        except BaseException:
            await pool.release(connection, broken=True)
            self._let_others_write()
            raise
        self.group = _Group(transaction, pool, asyncio.get_running_loop().time())
        return self.group

    def _syncs_wal(self, connection: InLoopConnection) -> bool:
        """Whether this committer syncs the WAL itself: a database file in WAL mode (asked
        once; a file in another journal mode keeps ``synchronous=FULL``)."""
        if self.wal_path is not None and self._in_wal is None:
            mode = connection._conn.execute("PRAGMA journal_mode").fetchone() or {}
            self._in_wal = str(mode.get("journal_mode", "")).lower() == "wal"
        return bool(self._in_wal)

    def _savepoint(self, group: _Group) -> str:
        name = f"doorstep_write_{next(self._names)}"
        group.connection.run_now(f"SAVEPOINT {name}")
        return name

    async def _undo(self, group: _Group, name: str) -> None:
        """Roll back one block's writes. If SQLite already rolled back the whole transaction
        (a disk or memory error), the group is lost: its members learn it."""
        if group.done.done():
            return
        try:
            group.connection.run_now(f"ROLLBACK TO SAVEPOINT {name}")
            group.connection.run_now(f"RELEASE SAVEPOINT {name}")
        except sqlite3.Error as exc:
            await self._break(group, exc)

    async def _leave(self) -> None:
        """Give the lock up; first commit the group unless a waiting writer will join it."""
        try:
            group = self.group
            if group is not None and (
                self.queued == 0
                or group.members >= MAX_MEMBERS
                or asyncio.get_running_loop().time() - group.opened >= MAX_OPEN_SECONDS
            ):
                await self._commit(group)
        finally:
            self._unlock()

    async def _commit(self, group: _Group) -> None:
        """Commit (holding the lock) and tell every member once it is durable. Never raises
        but ``CancelledError``: a caller cancelled meanwhile leaves the commit to finish on
        its own, and the lock is let go only once it has (``_unlock``). Members read the
        outcome from ``group.done``.

        The group's connection runs with ``synchronous=NORMAL`` (``_open``): its ``COMMIT``
        writes the WAL without waiting for the disk, and the other processes may write at
        once (the file lock). The ``fsync`` of the WAL then runs on the committer's thread
        (``_sync``), the loop serving requests meanwhile, and the members are answered after
        it: what they were told is committed is on disk. Readers may see the rows a couple
        of milliseconds before that; a power cut in between loses them with their writers
        unanswered, as it would a moment earlier with ``synchronous=FULL``."""
        self.group = None
        if group.hooks.work:
            # What the members left for the commit (one matching version bump for them all),
            # in their transaction. Failed or interrupted, it takes the group with it: a
            # member must not be told its booking is stored while the indexes are not told.
            engine = group.transaction.engine
            outer = engine.current_transaction.set(group.transaction)
            try:
                await group.hooks.flush()
            except BaseException as exc:
                await self._break(group, exc)
                if not isinstance(exc, Exception):
                    raise
                return
            finally:
                engine.current_transaction.reset(outer)
        try:
            group.connection.run_now("COMMIT")
        except Exception as exc:
            _settle(group, exc)
            await group.pool.release(group.connection, broken=True)  # rolls back
            self._let_others_write()
            return
        self._let_others_write()
        self._committing = asyncio.get_running_loop().create_task(self._finish(group))
        await asyncio.shield(self._committing)

    async def _finish(self, group: _Group) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._thread, self._sync, group.connection)
        except Exception as exc:  # the disk failed: nobody is told it is committed
            _settle(group, exc)
            await group.pool.release(group.connection, broken=True)
            return
        _settle(group, None)
        await group.pool.release(group.connection)

    def _sync(self, connection: InLoopConnection) -> None:
        """On the committer's thread: the WAL to disk, and the connection back to ``FULL``
        (what any other use of it expects). The WAL cannot be deleted and made anew
        meanwhile: that takes the last connection closing, and this one is open."""
        if self._in_wal and self.wal_path is not None:
            descriptor = os.open(self.wal_path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                os.fsync(descriptor)
                too_long = os.fstat(descriptor).st_size > max(WAL_LIMIT_BYTES, self._cut_at)
            finally:
                os.close(descriptor)
            self._synced += 1
            if (too_long or self._synced % CHECKPOINT_EVERY == 0) and (
                self._checkpointing is None or self._checkpointing.done()
            ):
                self._checkpointing = self._checkpointer.submit(
                    self._checkpoint,
                    self.wal_path,
                    self.between_processes.path if too_long and self.between_processes else None,
                )
        connection.run_now("PRAGMA synchronous = FULL")

    def _checkpoint(self, wal_path: str, start_over_holding: str | None = None) -> None:
        """On the checkpoint thread: ``core.db_wal.checkpoint``. After a try at cutting the
        WAL that failed (readers stayed on it past ``RESTART_WAIT_SECONDS``), the next try
        waits until the WAL is twice as long (``_cut_at``), so a reader that stays (an export)
        holds the writers up once per doubling, not once per group."""
        cut = checkpoint(wal_path, start_over_holding, max(WAL_LIMIT_BYTES, self._cut_at))
        if cut is not None:
            self._cut_at = 0 if cut else 2 * wal_size(wal_path)

    def close(self) -> None:
        """Stop the threads (a checkpoint under way finishes) and the file lock."""
        self._thread.shutdown(wait=False)
        self._checkpointer.shutdown(wait=False)
        if self.between_processes is not None:
            self.between_processes.close()

    def _unlock(self) -> None:
        """Let go of the lock, or, while a commit is still running (its caller was cancelled),
        once it is done."""
        committing = self._committing
        if committing is not None and not committing.done():
            committing.add_done_callback(lambda _: self.lock.release())
        else:
            self.lock.release()

    def _let_others_write(self) -> None:
        if self.between_processes is not None:
            self.between_processes.release()

    async def _break(self, group: _Group, cause: BaseException) -> None:
        """The group's transaction is lost: fail its members, drop its connection."""
        if self.group is group:
            self.group = None
        _settle(group, sqlite3.OperationalError(f"the write transaction was lost: {cause}"))
        await group.pool.release(group.connection, broken=True)
        self._let_others_write()

    async def _wait(self, group: _Group) -> None:
        while not group.done.done():
            await asyncio.wait((group.done,), timeout=WAKE_SECONDS)
            if not group.done.done() and self.group is group and not self.lock.locked():
                await self._flush(group)
        group.done.result()

    async def _flush(self, group: _Group) -> None:
        await self._acquire()
        try:
            if self.group is group:
                await self._commit(group)
        finally:
            self._unlock()

    def _rescue(self) -> None:
        """A queued writer gave up: if it was the one the open group counted on, commit it."""
        group = self.group
        if group is None or self.queued or self.lock.locked():
            return
        loop = asyncio.get_running_loop()
        if not loop.is_closed():
            task = loop.create_task(self._flush(group))
            self._rescues.add(task)
            task.add_done_callback(self._rescues.discard)


def _settle(group: _Group, error: BaseException | None) -> None:
    if group.done.done():
        return
    if error is None:
        group.done.set_result(None)
    else:
        group.done.set_exception(error)
        group.done.exception()  # members who were cancelled never read it: no warning
    for answer, value in group.answers:
        if error is None:
            _answer(answer, value=value)
        else:
            _answer(answer, error=error)
    group.answers.clear()


def _answer(
    answer: asyncio.Future[Any], value: Any = None, error: BaseException | None = None
) -> None:
    if answer.done():  # its submitter was cancelled meanwhile
        return
    if error is None:
        answer.set_result(value)
    else:
        answer.set_exception(error)


async def _run_in(context: contextvars.Context, coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to its end in the calling task, each of its steps in ``context`` (its
    submitter's tenant scope and transaction): what a task of its own would do, without a
    turn of the loop between steps. A step that waits (a future) is waited for here; a bare
    ``yield`` (``asyncio.sleep(0)``, a long block pausing) gives the loop one turn."""
    error: BaseException | None = None
    while True:
        try:
            if error is None:
                waited = context.run(coro.send, None)
            else:
                waited = context.run(coro.throw, error)
        except StopIteration as stop:
            result: T = stop.value
            return result
        error = None
        try:
            if waited is None:
                await asyncio.sleep(0)
            else:
                waited._asyncio_future_blocking = False  # the protocol a Task follows
                await asyncio.wait((waited,))
        except BaseException as exc:  # this task is cancelled: so is what the work waits for
            if waited is not None:
                waited.cancel()
            error = exc


_committers: dict[tuple[int, int], tuple[Any, Any, GroupCommitter]] = {}


def committer_for(engine: PooledSQLiteEngine) -> GroupCommitter:
    """The committer of ``engine`` on the running loop (one writer lock per loop and engine)."""
    loop = asyncio.get_running_loop()
    key = (id(loop), id(engine))
    found = _committers.get(key)
    if found is not None and found[0]() is loop and found[1]() is engine:
        return found[2]
    for stale in [k for k, (lr, er, _) in _committers.items() if lr() is None or er() is None]:
        _committers.pop(stale)[2].close()
    between_processes = writer_lock_for(engine)
    committer = GroupCommitter(
        between_processes,
        wal_path=None if between_processes is None else f"{engine.path}-wal",
    )
    _committers[key] = (weakref.ref(loop), weakref.ref(engine), committer)
    return committer


async def grouped_call(engine: PooledSQLiteEngine, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``core.db.write`` on a pooled SQLite engine: handed to the committer (``submit``),
    unless already inside a write (then a savepoint of it, as ``grouped_write`` does)."""
    current = engine.current_transaction.get()
    if current is None:
        return await committer_for(engine).submit(engine, work)
    async with grouped_write(engine):
        return await work()


@asynccontextmanager
async def grouped_write(engine: PooledSQLiteEngine) -> AsyncIterator[None]:
    """``write_transaction`` on a pooled SQLite engine (see the module's docstring)."""
    committer = committer_for(engine)
    current = engine.current_transaction.get()
    inside = _member.get()
    if (
        inside is not None
        and inside[1] is asyncio.current_task()
        and current is inside[0].transaction
    ):
        async with committer.nested(inside[0]):
            yield
    elif current is not None and not isinstance(current, GroupTransaction):
        async with committer.joining():
            yield
    else:
        async with committer.block(engine):
            yield
