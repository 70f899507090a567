"""Work left for just before a transaction commits, done once for the whole transaction.

For work every transaction contends for: the tenant's one ``matching_version`` row, which every
booking bumps. Bumped in the middle of a transaction, the row is locked (PostgreSQL) or
written (SQLite) once per booking; left here, once per transaction, just before ``COMMIT``.

Who collects: a web request's own transaction on PostgreSQL (``core.tenancy.scoped``), and a
group of the SQLite committer for the writes handed to it (``core.db_group``). Elsewhere
``before_commit`` gives None and the caller does the work at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any, Protocol, TypeVar, cast


class Flushable(Protocol):
    """Work left for the commit. It may also have ``commit_sql() -> str | None``: the work as
    SQL with its values written in (PostgreSQL), sent in one message with the ``COMMIT``
    (``CommitHooks.commit``); None there, or no such method: ``flush`` runs it."""

    async def flush(self) -> None: ...


F = TypeVar("F", bound=Flushable)


class CommitHooks:
    """The work one transaction has left for just before its commit."""

    def __init__(self) -> None:
        self.work: dict[str, Flushable] = {}
        self.open = True
        """False once the transaction ends (flushed, or rolled back): nothing more is taken."""

    async def flush(self) -> None:
        """Do the work, in the transaction (the caller's), then take no more."""
        self.open = False
        while self.work:
            key = next(iter(self.work))
            await self.work.pop(key).flush()

    async def commit(self, transaction: Any) -> None:
        """Do the work and commit ``transaction`` (Piccolo's on PostgreSQL, over asyncpg's).
        The work that can be said as SQL goes in one message with the ``COMMIT``: a row it
        locks (the tenant's version) is then held for the server's time alone, not also for
        a round trip and the wait for this task's next turn of a busy event loop (7.8 ms a
        booking at 16 clients, measured with ``pg_stat_statements``)."""
        self.open = False
        said = []
        while self.work:
            key = next(iter(self.work))
            work = self.work.pop(key)
            say = getattr(work, "commit_sql", None)
            sql = None if say is None else say()
            if sql is None:
                await work.flush()
            else:
                said.append(sql)
        if not said:
            await transaction.commit()
            return
        await commit_saying(transaction, "".join(f"{sql};\n" for sql in said))

    def close(self) -> None:
        """The transaction ends without committing: the work is dropped."""
        self.open = False
        self.work.clear()


Collector = tuple[CommitHooks, asyncio.Task[Any] | None] | None

_collecting: ContextVar[Collector] = ContextVar("doorstep_commit_hooks", default=None)


def collect(hooks: CommitHooks | None) -> Token[Collector]:
    """From now on in this context (and this task), ``before_commit`` leaves work to ``hooks``."""
    return _collecting.set(None if hooks is None else (hooks, asyncio.current_task()))


def stop_collecting(token: Token[Collector]) -> None:
    _collecting.reset(token)


async def commit_saying(transaction: Any, sql: str) -> None:
    """``sql`` (statements with no parameters) then ``COMMIT``, in one message (the simple
    query protocol), for a Piccolo transaction on asyncpg. Done as asyncpg's own commit does
    it (``Transaction.__commit``): the connection's top transaction cleared, the transaction's
    state set from the outcome. A failing statement leaves the transaction aborted (the
    ``COMMIT`` after it is not run): it is marked failed and rolled back here, so the
    connection goes back to the pool idle, as after a failed ``COMMIT``."""
    from asyncpg.transaction import TransactionState

    xact = transaction.transaction
    connection = xact._connection
    if connection._top_xact is xact:
        connection._top_xact = None
    try:
        await connection.execute(f"{sql}COMMIT;")
    except Exception:
        xact._state = TransactionState.FAILED
        if not connection.is_closed() and connection.is_in_transaction():
            with contextlib.suppress(Exception):  # the statement's error is the one to raise
                await connection.execute("ROLLBACK;")
        raise
    except BaseException:
        xact._state = TransactionState.FAILED
        raise
    xact._state = TransactionState.COMMITTED
    transaction._committed = True


def before_commit(key: str, make: Callable[[], F]) -> F | None:
    """The work kept under ``key`` for just before the transaction this task runs in commits:
    ``make()`` the first time, the same object after (its ``flush()`` runs in the transaction,
    before ``COMMIT``). None where nobody collects (another task, a transaction ending or
    opened elsewhere): the caller then does the work at once."""
    found = _collecting.get()
    if found is None or found[1] is not asyncio.current_task() or not found[0].open:
        return None
    hooks = found[0]
    work = hooks.work.get(key)
    if work is None:
        work = hooks.work[key] = make()
    return cast(F, work)
