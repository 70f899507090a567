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
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any, Protocol, TypeVar, cast


class Flushable(Protocol):
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
