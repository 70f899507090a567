"""Connection reuse: a pool of SQLite connections, and the PostgreSQL pool's life with the app.

Piccolo's SQLite engine opens a new ``aiosqlite`` connection (a new thread) for every query run
outside a transaction and for every transaction, and runs three or four thread round trips per
query (``PRAGMA foreign_keys``, execute, fetch, commit). ``PooledSQLiteEngine`` keeps a few
connections open per event loop and file, sets the pragma once per connection and runs a query
in one round trip. Semantics are unchanged: a query outside a transaction autocommits on its
own connection, a transaction holds one connection from ``BEGIN`` to ``COMMIT``, and a
connection goes back to the pool only outside a transaction.

On PostgreSQL, ``start_pools`` opens asyncpg's pool (``Settings.database_pool_size``) when the
app starts and ``close_pools`` closes it on shutdown; Piccolo's transactions and
``core.tenancy.scoped`` take their connection from it (``PooledPostgresEngine``: on the loop
that started it only).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from typing import Any

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

DEFAULT_POOL_SIZE = 8
"""Connections per SQLite file and event loop (each is a thread); PostgreSQL's default."""
MMAP_BYTES = 1 << 30
"""SQLite reads the file through a memory map (up to 1 GiB, shared by every connection
through the OS page cache) instead of a ``read`` system call per page: a query that visits
rows scattered over a large file (matching reads a few hundred providers' rows) runs about
three times faster. Writes still go through the WAL."""


class _Pool:
    """Idle connections of one file on one event loop; at most ``size`` open at once."""

    def __init__(self, kwargs: dict[str, Any], size: int) -> None:
        self.kwargs = kwargs
        self.size = size
        self.idle: list[InLoopConnection] = []
        self.open = 0
        self.waiters: list[asyncio.Future[None]] = []
        self.closed = False
        self.statements = 0
        """Statements run outside a transaction (``_run_in_new_connection``)."""

    async def acquire(self) -> InLoopConnection:
        while True:
            if self.idle:
                return self.idle.pop()
            if self.open < self.size:
                self.open += 1
                try:
                    return await _connect(self.kwargs)
                except BaseException:
                    self.open -= 1
                    raise
            waiter = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self._wake_one()  # woken, then cancelled: hand the wake-up on
                raise
            finally:
                with contextlib.suppress(ValueError):
                    self.waiters.remove(waiter)

    async def release(self, connection: InLoopConnection, *, broken: bool = False) -> None:
        if not broken and connection.in_transaction:
            # Never hand on a connection in the middle of a transaction.
            try:
                await connection.execute("ROLLBACK")
            except (sqlite3.Error, ValueError):
                broken = True
        if broken or self.closed:
            self.open -= 1
            with contextlib.suppress(sqlite3.Error, ValueError):
                await connection.close()
        else:
            self.idle.append(connection)
        self._wake_one()

    def _wake_one(self) -> None:
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_result(None)
                return

    async def close(self) -> None:
        self.closed = True
        idle, self.idle = self.idle, []
        for connection in idle:
            self.open -= 1
            with contextlib.suppress(sqlite3.Error, ValueError):
                await connection.close()


async def _connect(kwargs: dict[str, Any]) -> Any:
    connection = InLoopConnection(kwargs)
    await connection.execute("PRAGMA foreign_keys = 1")
    await connection.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    return connection


BUSY_SECONDS = 5.0
"""How long a statement outside a transaction (or a ``BEGIN``) waits for another process's
write lock, as ``sqlite3``'s default time-out, but without blocking the event loop."""


YIELD_EVERY = 32
"""Inside a transaction, a statement lets other tasks in first only every this many."""


class InLoopConnection:
    """A ``sqlite3`` connection run on the event loop's own thread, with the part of the
    ``aiosqlite`` interface Piccolo uses. A statement on a local SQLite file takes tens of
    microseconds: handing it to a thread and back costs more than running it (two thread
    switches, and the GIL hand-over between them), and the loop has one writer anyway. Waiting
    for another process's lock is done by sleeping on the loop (``BUSY_SECONDS``), never by
    blocking it."""

    def __init__(self, kwargs: dict[str, Any]) -> None:
        self._conn = sqlite3.connect(**{**kwargs, "timeout": 0, "check_same_thread": False})
        self._conn.row_factory = dict_factory
        self._statements = 0

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    async def _run(self, sql: str, args: Any) -> sqlite3.Cursor:
        # Inside a transaction a "locked" error is final (a deferred transaction that cannot
        # become a writer): only a statement on its own, or BEGIN, waits for the lock.
        patient = not self._conn.in_transaction
        # Inside a transaction, let the loop's other tasks have a turn every YIELD_EVERY
        # statements, as queries on a thread would: one long batch (a relay, a key rotation)
        # never starves the requests, while a short write block (a booking: five statements)
        # runs straight through, so the write lock it holds (shared with other processes) is
        # held for its own statements, not for other tasks'. A statement on its own yields
        # before it takes its connection (``PooledSQLiteEngine._run_in_new_connection``).
        self._statements += 1
        if not patient and self._statements % YIELD_EVERY == 0:
            await asyncio.sleep(0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BUSY_SECONDS
        delay = 0.0005
        while True:
            try:
                return self._conn.execute(sql, args)
            except sqlite3.OperationalError as exc:
                if not patient or "locked" not in str(exc) or loop.time() > deadline:
                    raise
            await self.pause(delay)
            delay = min(delay * 2, 0.02)

    pause = staticmethod(asyncio.sleep)
    """How a statement waits for the lock before trying again (on the loop, never blocking)."""

    async def execute(self, sql: str, args: Any = ()) -> sqlite3.Cursor:
        return await self._run(sql, args)

    async def execute_fetchall(self, sql: str, args: Any = ()) -> list[Any]:
        return (await self._run(sql, args)).fetchall()

    def run_now(self, sql: str) -> None:
        """Run a statement without letting other tasks in first and without waiting for a lock:
        a ``SAVEPOINT``, ``RELEASE``, ``ROLLBACK TO`` or ``COMMIT`` of a transaction this
        connection holds, which a cancellation must not separate from the step before it."""
        self._conn.execute(sql)

    async def close(self) -> None:
        self._conn.close()


_pools: dict[tuple[int, str], _Pool] = {}


class PooledTransaction(SQLiteTransaction):
    """A Piccolo SQLite transaction on a pooled connection, returned to the pool at its end."""

    engine: PooledSQLiteEngine

    async def get_connection(self) -> InLoopConnection:
        return await self.engine.pool().acquire()

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        try:
            await self.begin()
        except BaseException:
            await self.engine.pool().release(self.connection, broken=True)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        broken = False
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        except BaseException:
            broken = True
            raise
        finally:
            self.engine.current_transaction.reset(self.context)
            await self.engine.pool().release(self.connection, broken=broken)
        return exception is None


class PooledSQLiteEngine(SQLiteEngine):
    """``SQLiteEngine`` whose queries and transactions reuse pooled connections."""

    def __init__(self, path: str, pool_size: int = DEFAULT_POOL_SIZE, **kwargs: Any) -> None:
        super().__init__(path=path, **kwargs)
        self.pool_size = max(2, pool_size)

    def pool(self) -> _Pool:
        key = (id(asyncio.get_running_loop()), str(self.path))
        found = _pools.get(key)
        if found is None or found.closed:
            found = _pools[key] = _Pool(self.connection_kwargs, self.pool_size)
        return found

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return PooledTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        # The statement takes an idle connection, runs and gives it back without a pause in
        # between: one or two connections serve every read (each keeps its page cache warm),
        # not one per task in the middle of a statement. Every YIELD_EVERY statements other
        # tasks have a turn first, so a loop of reads (an export) never holds the loop for long;
        # a request's few reads run straight through (a turn of the loop for each read cost
        # about 3 % of a booking's CPU).
        pool = self.pool()
        pool.statements += 1
        if pool.statements % YIELD_EVERY == 0:
            await asyncio.sleep(0)
        connection = await pool.acquire()
        broken = False
        try:
            # Outside a transaction the statement commits by itself (isolation_level None).
            return await connection.execute_fetchall(query, args or [])
        except (sqlite3.ProgrammingError, ValueError):
            broken = True
            raise
        finally:
            await pool.release(connection, broken=broken)

    async def _run_in_existing_connection(
        self,
        connection: Any,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        # The pragma was set when the connection opened (it cannot change in a transaction).
        return await connection.execute_fetchall(query, args or [])


class PooledPostgresEngine(PostgresEngine):
    """``PostgresEngine`` whose pool serves only the event loop that started it (an asyncpg
    pool is bound to its loop): work on another loop (a test's own loop beside the app's)
    opens its own connections as without a pool."""

    _pool: Any = None
    _pool_loop: int | None = None

    @property
    def pool(self) -> Any:
        if self._pool is None:
            return None
        try:
            running = id(asyncio.get_running_loop())
        except RuntimeError:
            return None
        return self._pool if running == self._pool_loop else None

    @pool.setter
    def pool(self, value: Any) -> None:
        self._pool = value
        self._pool_loop = None
        if value is not None:
            self._pool_loop = id(asyncio.get_running_loop())


async def close_sqlite_pools() -> None:
    """Close this event loop's idle SQLite connections (connections in use close on return)."""
    loop = id(asyncio.get_running_loop())
    for key in [k for k in _pools if k[0] == loop]:
        await _pools.pop(key).close()


async def _no_session_state(connection: Any) -> None:
    """What a PostgreSQL connection needs between requests beyond asyncpg's own rollback of an
    open transaction: nothing. The app keeps no session state (its settings are
    transaction-local ``set_config(..., true)``; no ``LISTEN``, cursors held open, advisory
    locks or session ``SET``), so asyncpg's default reset query (``RESET ALL`` and the rest)
    would be one more round trip per request for nothing."""


async def start_pools(engine: Any, size: int) -> None:
    """At app start: PostgreSQL's connection pool (``size`` connections at most)."""
    if isinstance(engine, PostgresEngine) and engine.pool is None:
        await engine.start_connection_pool(
            min_size=min(2, size), max_size=size, reset=_no_session_state
        )


async def close_pools(engine: Any) -> None:
    """At app shutdown: close the pools ``start_pools`` opened and the idle SQLite ones."""
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()
    await close_sqlite_pools()
