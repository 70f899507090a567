"""Tenant isolation as a mechanism: the one scoped query helper and the tenant transaction.

Two walls keep one tenant's rows from another tenant's requests:

1. ``scoped(Table, tenant_id)`` builds every query on a tenant-owned table with
   ``Table.tenant == tenant_id`` already in it, and refuses to build one without a tenant
   (``None``, ``""``, not a UUID), for a table without a ``tenant`` column, or for a tenant
   other than the one whose transaction is open.
2. On PostgreSQL, forced row-level security (``core.tenancy.rls``) shows a connection only the
   rows of the tenant named by the per-transaction setting ``doorstep.tenant_id``.
   ``tenant_transaction(tenant_id)`` opens (or joins) a transaction with that setting; every
   web request of a tenant runs inside one (``core.web.tenant_scope``), and so must every piece
   of background work (worker, CLI, seeding): ``@within_tenant`` does it for a service function
   that takes a ``tenant_id``.

On SQLite the transaction part does nothing but remember the tenant, so mixing tenants is still
caught by ``scoped``. Which tables are tenant-owned, ``tenant_uuid`` and ``TenantScopeError`` live
in ``core.tenancy.tenant_tables``; the handle a tenant transaction yields in
``core.tenancy.transaction``.
"""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from contextvars import ContextVar
from typing import Any, Generic, ParamSpec, TypeVar

from piccolo.columns import Column, ForeignKey
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.query.methods.count import Count
from piccolo.query.methods.delete import Delete
from piccolo.query.methods.exists import Exists
from piccolo.query.methods.insert import Insert
from piccolo.query.methods.objects import Objects
from piccolo.query.methods.select import Select
from piccolo.query.methods.update import Update
from piccolo.table import Table

from core.commit_hooks import collect, stop_collecting
from core.tenancy.tables import TenantRow
from core.tenancy.tenant_tables import TenantScopeError, tenant_column, tenant_uuid
from core.tenancy.transaction import TenantTransaction

SETTING = "doorstep.tenant_id"
"""The PostgreSQL setting the row-level security policies read (per transaction)."""
HOLDER_SETTING = "doorstep.holder_hash"
"""The hash of a secret the transaction holds (``secret_lookup``)."""

T = TypeVar("T", bound=Table)
P = ParamSpec("P")
R = TypeVar("R")


# --- the tenant in scope --------------------------------------------------------------------

_active: ContextVar[uuid.UUID | None] = ContextVar("doorstep_tenant_scope", default=None)


def active_tenant() -> uuid.UUID | None:
    """The tenant whose transaction this task is in, if any."""
    return _active.get()


def _check_active(tid: uuid.UUID) -> None:
    active = _active.get()
    if active is not None and active != tid:
        raise TenantScopeError(
            "a query for another tenant inside this tenant's transaction: open a separate "
            "tenant_transaction() for each tenant"
        )


# --- the scoped query helper ----------------------------------------------------------------


class TenantScope(Generic[T]):
    """Queries on one tenant-owned table, always filtered to one tenant.

    ``scoped(Address, tenant_id).select(Address.id).where(Address.user == user_id)`` adds the
    caller's conditions to the tenant filter (Piccolo joins successive ``where`` calls with
    AND). ``with_shared=True`` also matches rows without a tenant, on tables where a null
    tenant means "no tenant" (agency operators).
    """

    def __init__(self, table: type[T], tenant_id: Any, *, with_shared: bool = False) -> None:
        column = tenant_column(table)
        if column is None:
            raise TenantScopeError(
                f"{table._meta.tablename} has no tenant column: query it directly"
            )
        if with_shared and not column._meta.null:
            raise TenantScopeError(f"{table._meta.tablename} has no rows without a tenant")
        self.table = table
        self.tenant_id = tenant_uuid(tenant_id)
        _check_active(self.tenant_id)
        self.column = column
        self.with_shared = with_shared

    @property
    def condition(self) -> Any:
        """The tenant filter, for queries the helper does not build (joins, sub-queries)."""
        own = self.column == self.tenant_id
        return (own | self.column.is_null()) if self.with_shared else own

    def select(self, *columns: Column | str) -> Select:
        return self.table.select(*columns).where(self.condition)

    def objects(self, *prefetch: ForeignKey[Any]) -> Objects[T]:
        return self.table.objects(*prefetch).where(self.condition)

    def count(self) -> Count:
        return self.table.count().where(self.condition)

    def exists(self) -> Exists:
        return self.table.exists().where(self.condition)

    def update(self, values: dict[Column | str, Any]) -> Update:
        return self.table.update(values).where(self.condition)

    def delete(self) -> Delete:
        return self.table.delete().where(self.condition)

    def insert(self, *rows: T) -> Insert[T]:
        """Insert rows of this tenant; a row without a tenant gets this one, a row of another
        tenant is refused."""
        name = self.column._meta.name
        for row in rows:
            value = getattr(row, name)
            if value is None or isinstance(value, Column):
                setattr(row, name, self.tenant_id)
                continue
            given = value.id if isinstance(value, Table) else value  # type: ignore[attr-defined]
            if tenant_uuid(given) != self.tenant_id:
                raise TenantScopeError(f"a {self.table._meta.tablename} row of another tenant")
        return self.table.insert(*rows)


def scoped(table: type[T], tenant_id: Any, *, with_shared: bool = False) -> TenantScope[T]:
    """The scoped query helper; see ``TenantScope``. Raises TenantScopeError when unscoped."""
    return TenantScope(table, tenant_id, with_shared=with_shared)


# --- the tenant transaction -----------------------------------------------------------------


def _engine() -> Any:
    return TenantRow._meta.db


@asynccontextmanager
async def tenant_transaction(tenant_id: Any) -> AsyncIterator[TenantTransaction]:
    """Run the block as ``tenant_id``: on PostgreSQL inside one transaction whose
    ``doorstep.tenant_id`` is set (``set_config(..., true)``: it ends with the transaction),
    so row-level security shows that tenant's rows only.

    A scope, not a unit of work: the transaction commits when the block ends, also when it
    ends with an error (only a cancellation rolls back), so what the block wrote behaves as on
    SQLite; units of work are ``write_transaction`` blocks, savepoints inside this one.

    Re-entrant for the same tenant; another tenant inside it is a TenantScopeError. Inside a
    transaction opened without a tenant (``write_transaction``), the setting is applied to it
    for the block and restored afterwards.
    """
    tid = tenant_uuid(tenant_id)
    active = _active.get()
    if active is not None:
        _check_active(tid)
        yield TenantTransaction(tid)
        return
    token = _active.set(tid)
    try:
        engine = _engine()
        current = engine.current_transaction.get() if isinstance(engine, PostgresEngine) else None
        if not isinstance(engine, PostgresEngine):
            yield TenantTransaction(tid)
        elif current is not None:
            async with _setting_in(current, tid):
                yield TenantTransaction(tid)
        else:
            async with _owned_transaction(engine, tid) as handle:
                yield handle
    finally:
        _active.reset(token)


@asynccontextmanager
async def _setting_in(
    transaction: PostgresTransaction, value: Any, name: str = SETTING, previous: Any = ...
) -> AsyncIterator[None]:
    """The setting ``name`` is ``value`` inside the block, then back to what it was (``previous``
    when the caller knows it: one round trip fewer)."""
    import asyncpg

    connection = transaction.connection
    if previous is ...:
        previous = await connection.fetchval("SELECT current_setting($1, true)", name)
    await connection.execute("SELECT set_config($1, $2, true)", name, str(value))
    try:
        yield
    finally:
        with suppress(asyncpg.PostgresError, asyncpg.InterfaceError):
            await connection.execute("SELECT set_config($1, $2, true)", name, previous or "")


_holding: ContextVar[bool] = ContextVar("doorstep_secret_lookup", default=False)


@asynccontextmanager
async def secret_lookup(secret_hash: str) -> AsyncIterator[None]:
    """Inside the block, the row whose secret column (``rls.HOLDER_COLUMNS``) holds
    ``secret_hash`` is readable whatever its tenant: holding the secret is the right to see
    its row (a bearer token presented on another tenant's host is then recognised and logged).
    Nothing else becomes visible, and nothing becomes writable. A no-op on SQLite. One secret
    at a time (a lookup inside a lookup is a TenantScopeError), so the setting is known to be
    empty before and is emptied after."""
    if _holding.get():
        raise TenantScopeError("secret_lookup inside secret_lookup: one secret at a time")
    token = _holding.set(True)
    try:
        engine = _engine()
        if not isinstance(engine, PostgresEngine):
            yield
            return
        async with (
            engine.transaction() as transaction,
            _setting_in(transaction, secret_hash, HOLDER_SETTING, previous=""),
        ):
            yield
    finally:
        _holding.reset(token)


@asynccontextmanager
async def tenant_transaction_of(slug: str) -> AsyncIterator[TenantTransaction | None]:
    """``tenant_transaction`` of the tenant called ``slug`` (a web request knows its tenant by
    its host), or ``None`` (no scope) while it has no row. On PostgreSQL the row is looked up
    on the transaction's own connection: a request costs one connection, not two."""
    engine = _engine()
    fresh = _active.get() is None and isinstance(engine, PostgresEngine)
    if fresh and engine.current_transaction.get() is None:
        async with _owned_transaction(engine, slug=slug) as handle:
            with _known_as(slug, handle):
                yield handle
        return
    from core.tenancy.service import tenant_row_id

    tenant_id = await tenant_row_id(slug)
    if tenant_id is None:
        yield None
        return
    async with tenant_transaction(tenant_id) as handle:
        with _known_as(slug, handle):
            yield handle


_known: ContextVar[tuple[str, uuid.UUID] | None] = ContextVar("doorstep_tenant_slug", default=None)


@contextmanager
def _known_as(slug: str, handle: TenantTransaction | None) -> Iterator[None]:
    token = _known.set((slug, handle.tenant_id)) if handle is not None else None
    try:
        yield
    finally:
        if token is not None:
            _known.reset(token)


def known_tenant_id(slug: str) -> str | None:
    """The row id of the tenant called ``slug`` when this task runs in its
    ``tenant_transaction_of`` (a request of that tenant): no query needed."""
    known = _known.get()
    return str(known[1]) if known is not None and known[0] == slug else None


@asynccontextmanager
async def _owned_transaction(
    engine: PostgresEngine, tid: uuid.UUID | None = None, slug: str | None = None
) -> AsyncIterator[Any]:
    """A new transaction with the tenant setting: of ``tid``, or of the tenant called ``slug``
    (yields None, and sets no scope, when there is no such tenant)."""
    import asyncpg

    transaction = engine.transaction()
    await transaction.__aenter__()
    token = None
    owner = None
    handle: TenantTransaction | None = None
    closed = False

    async def close() -> None:
        """The connection back to the pool; no transaction or tenant in scope any more."""
        nonlocal closed
        if closed:
            return
        closed = True
        try:
            if engine.pool:
                await engine.pool.release(transaction.connection)
            else:
                await transaction.connection.close()
        finally:
            engine.current_transaction.set(None)
            _active.set(None)
            collect(None)

    try:
        connection = transaction.connection
        if slug is not None:
            found = await connection.fetchval(
                "SELECT set_config($1, id::text, true) FROM doorstep_tenant WHERE slug = $2",
                SETTING,
                slug,
            )
            tid = uuid.UUID(found) if found else None
            token = _active.set(tid) if tid is not None else None
        else:
            await connection.execute("SELECT set_config($1, $2, true)", SETTING, str(tid))
        handle = TenantTransaction(tid, transaction, close) if tid is not None else None
        if handle is not None:
            owner = collect(handle.hooks)  # a request's bumps, made as it commits
        yield handle
    except Exception:
        # A scope, not a unit of work: what the block wrote before an error stays, as on SQLite
        # where each write_transaction commits on its own (wrong-code counters, security
        # events). After a database error the transaction is aborted and this rolls back.
        if not closed:
            with suppress(asyncpg.PostgresError, asyncpg.InterfaceError):
                if handle is not None:
                    await handle.hooks.commit(transaction)
                else:
                    await transaction.commit()
        raise
    except BaseException:  # cancelled: leave nothing half-done
        if not closed:
            with suppress(asyncpg.PostgresError, asyncpg.InterfaceError):
                await transaction.transaction.rollback()
        raise
    else:
        if not closed:
            if handle is not None:
                await handle.hooks.commit(transaction)
            else:
                await transaction.commit()
    finally:
        try:
            await close()
        finally:
            engine.current_transaction.reset(transaction.context)
            if token is not None:
                _active.reset(token)
            if owner is not None:
                stop_collecting(owner)


def within_tenant(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Run a service function inside ``tenant_transaction`` of its ``tenant_id`` argument (a
    no-op inside a request of that tenant, which is already in one). A ``None`` tenant (agency
    operators) runs without a tenant scope: only rows without a tenant are visible then."""
    signature = inspect.signature(func)
    if "tenant_id" not in signature.parameters:
        raise TypeError(f"{func.__qualname__} takes no tenant_id")

    parameter = signature.parameters["tenant_id"]
    position = list(signature.parameters).index("tenant_id")
    by_position = parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    by_name = parameter.kind in (parameter.KEYWORD_ONLY, parameter.POSITIONAL_OR_KEYWORD)

    def tenant_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """``tenant_id`` if the call passes it, as ``bind_partial`` would find it (which costs
        more than the call it wraps); a default is not a tenant."""
        if by_position and len(args) > position:
            return args[position]
        if by_name and "tenant_id" in kwargs:
            return kwargs["tenant_id"]
        return None

    @functools.wraps(func)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        tenant_id = tenant_of(args, kwargs)
        if tenant_id is None or tenant_id == "":
            return await func(*args, **kwargs)
        if _active.get() is not None:  # already in a tenant's scope: the same tenant's only
            _check_active(tenant_uuid(tenant_id))
            return await func(*args, **kwargs)
        async with tenant_transaction(tenant_id):
            return await func(*args, **kwargs)

    return run
