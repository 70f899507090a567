"""The database engine: embedded SQLite under ``var/`` by default, PostgreSQL by DATABASE_URL.

Piccolo finds its engine through ``core.piccolo_conf``; ``use_engine`` rebinds every table when
a process (a test session, the CLI) switches databases.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from piccolo.engine.base import Engine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from core.settings import Settings

T = TypeVar("T")

APPS = (
    "core.tenancy.piccolo_app",
    "core.catalog.piccolo_app",
    "core.privacy.piccolo_app",
    "core.accounts.piccolo_app",
    "core.providers.piccolo_app",
    "core.verification.piccolo_app",
    "core.notifications.piccolo_app",
    "core.booking.piccolo_app",
    "core.ledger.piccolo_app",
    "core.payments.piccolo_app",
    "core.quality.piccolo_app",
    "core.safety.piccolo_app",
    "core.dispatch.piccolo_app",
    "core.matching.piccolo_app",
    "core.tenancy.rls_app",
)
"""Piccolo apps in migration order; plugins with tables add theirs through their own app.
``core.tenancy.rls_app`` depends on every other app, so Piccolo runs it last."""


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def engine_for(settings: Settings, *, owner: bool = False) -> Engine:
    """The application's engine; ``owner=True``: the table owner's, for migrations only
    (``DATABASE_OWNER_URL``, falling back to ``DATABASE_URL``)."""
    if settings.database_url:
        if not is_postgres(settings.database_url):
            raise ValueError("DATABASE_URL must start with postgres:// or postgresql://")
        url = settings.database_url
        if owner and settings.database_owner_url:
            if not is_postgres(settings.database_owner_url):
                raise ValueError("DATABASE_OWNER_URL must start with postgres:// or postgresql://")
            url = settings.database_owner_url
        from core.db_pool import PooledPostgresEngine

        return PooledPostgresEngine(config={"dsn": url})
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    from core.db_pool import PooledSQLiteEngine

    return PooledSQLiteEngine(path=str(settings.sqlite_path), pool_size=settings.database_pool_size)


def prepare_sqlite(settings: Settings) -> None:
    """WAL is a property of the file: set it once, before the first migration."""
    if settings.database_url:
        return
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(settings.sqlite_path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


def all_tables() -> list[type]:
    from piccolo.conf.apps import Finder

    return list(Finder().get_table_classes())


def use_engine(engine: Engine) -> None:
    """Point every table (and Piccolo's finder) at ``engine``."""
    from piccolo.apps.migrations.tables import Migration

    import core.piccolo_conf as conf

    conf.DB = engine
    for table in [*all_tables(), Migration]:
        table._meta.db = engine  # type: ignore[attr-defined]


async def migrate(settings: Settings) -> None:
    """Bring the database to the newest schema (idempotent). Raises on a failed migration.

    Runs as the tables' owner (``DATABASE_OWNER_URL``), then leaves the application's engine
    (``DATABASE_URL``) bound."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from core.tenancy.rls import ensure_row_security

    prepare_sqlite(settings)
    use_engine(engine_for(settings, owner=True))
    try:
        result = await run_forwards(app_name="all", migration_id="all")
        if not result.success:
            raise RuntimeError(f"migration failed: {result.message}")
        # Tables added since the row-security migration ran get their policy now.
        await ensure_row_security()
    finally:
        use_engine(engine_for(settings))


_writer_locks: dict[int, asyncio.Lock] = {}


def _writer_lock() -> asyncio.Lock:
    loop_id = id(asyncio.get_running_loop())
    lock = _writer_locks.get(loop_id)
    if lock is None:
        lock = _writer_locks[loop_id] = asyncio.Lock()
    return lock


@asynccontextmanager
async def savepoint_in(transaction: Any) -> AsyncIterator[None]:
    """The block in a savepoint of ``transaction`` (a PostgreSQL one): undone alone if it
    fails, the transaction staying usable; kept if it does not."""
    savepoint = await transaction.savepoint()
    try:
        yield
    except BaseException:
        await savepoint.rollback_to()
        raise
    await savepoint.release()


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """The one write path. SQLite: one writer per process, BEGIN IMMEDIATE (no "database is
    locked" half-way through), concurrent blocks committed together (``core.db_group``: each
    returns once its writes are committed); PostgreSQL: a plain transaction (constraints do
    the rest)."""
    from core.db_pool import PooledSQLiteEngine
    from core.tenancy.tables import TenantRow

    engine = TenantRow._meta.db
    if isinstance(engine, PooledSQLiteEngine):
        from core.db_group import grouped_write

        async with grouped_write(engine):
            yield
    elif isinstance(engine, SQLiteEngine):
        async with _writer_lock(), engine.transaction(transaction_type=TransactionType.immediate):
            yield
    elif (outer := engine.current_transaction.get()) is not None:
        # Inside a tenant's transaction (a web request): a savepoint keeps this block atomic
        # and the outer transaction usable if the block fails.
        async with savepoint_in(outer):
            yield
    else:
        async with engine.transaction():
            yield


async def write(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``work()`` in a ``write_transaction``, its result returned once committed. On SQLite
    the committer runs it itself, back to back with the other writes of its group
    (``core.db_group``): for a hot write path, whose lock is held for its statements only."""
    from core.db_pool import PooledSQLiteEngine
    from core.tenancy.tables import TenantRow

    engine = TenantRow._meta.db
    if isinstance(engine, PooledSQLiteEngine):
        from core.db_group import grouped_call

        return await grouped_call(engine, work)
    async with write_transaction():
        return await work()


def is_unique_or_exclusion_violation(exc: BaseException) -> bool:
    """A write refused by a unique index or an exclusion constraint (both engines)."""
    name = type(exc).__name__
    text = str(exc)
    return name in {"UniqueViolationError", "ExclusionViolationError", "IntegrityError"} or (
        "UNIQUE constraint failed" in text or "conflicting key value violates exclusion" in text
    )


def is_deadlock(exc: BaseException) -> bool:
    """PostgreSQL aborted this statement to break a deadlock (SQLSTATE 40P01). Concurrent
    inserts into one exclusion constraint can each wait for the other's row (two bookings of
    one provider at overlapping times, neither committed yet): one of them is chosen as the
    victim. Its writes are undone; trying again meets the other's outcome."""
    return type(exc).__name__ == "DeadlockDetectedError" or (
        getattr(exc, "sqlstate", None) == "40P01"
    )
