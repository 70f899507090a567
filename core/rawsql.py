"""Hand-written SELECTs for the hot read paths (matching, the booking write path).

Piccolo's query builder costs tens of microseconds per column and per parameter, and its
SQLite converters turn every UUID column into a ``uuid.UUID`` object: fine for a page, too much
for a request that reads a few thousand rows. These helpers keep the same engine, connection and
transaction (so PostgreSQL's row security applies as for any query) and give the SQL only:

- ``ids_in(column, ids)``: one parameter for a whole list of ids (``json_each`` on SQLite,
  ``= ANY`` on PostgreSQL), instead of one placeholder per id;
- ``text_id(column)``: an id column read as text (no UUID object per row, same on both engines);
- ``select(table, sql, *args)``: run it through the table's engine, rows as dicts;
- ``first(table, **equals)`` / ``every(...)``: the rows whose columns equal the keywords, as
  Piccolo's ``select()`` would give them (a tenth of its cost on a request's hot path);
- ``insert(table, *rows)``: rows stored as ``table.insert(table(**row))`` stores them (the
  columns' defaults, the same conversions), without a Table object and a query per row.
- ``insert_together((table, rows), ...)``: several tables' rows, one statement on PostgreSQL
  (a booking, its audit row and its event: one round trip).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from string import Formatter
from typing import Any

from piccolo.columns import Column
from piccolo.columns.column_types import JSON, JSONB
from piccolo.columns.defaults.base import Default
from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString
from piccolo.table import Table
from piccolo.utils.sql_values import convert_to_sql_value


def on_postgres(table: type[Table]) -> bool:
    return isinstance(table._meta.db, PostgresEngine)


def ids_in(table: type[Table], column: str, ids: Iterable[Any]) -> tuple[str, Any]:
    """``column`` is one of ``ids``: (SQL with one ``{}`` placeholder, its value). One id (a
    booking's provider) is a plain comparison: nothing to encode as a list and unpack."""
    values = [str(i) for i in ids]
    if len(values) == 1:
        return (
            f"{column} = CAST({{}} AS uuid)" if on_postgres(table) else f"{column} = {{}}"
        ), values[0]
    if on_postgres(table):
        return f"{column} = ANY(CAST({{}} AS uuid[]))", values
    return f"{column} IN (SELECT value FROM json_each({{}}))", json.dumps(values)  # noqa: S608 - a column name of ours


def indexed_by(table: type[Table], index: str) -> str:
    """`` INDEXED BY index`` on SQLite (after the table name): the index a hot query must use
    whatever the planner's statistics say; nothing on PostgreSQL (its planner is kept informed
    by autovacuum)."""
    return "" if on_postgres(table) else f" INDEXED BY {index}"


def text_id(column: str, alias: str) -> str:
    """``column`` as text, named ``alias`` (the same string on both engines)."""
    return f"CAST({column} AS TEXT) AS {alias}"


async def select(table: type[Table], sql: str, *args: Any) -> list[dict[str, Any]]:
    """Rows of a hand-written SELECT (``{}`` placeholders), through ``table``'s engine and the
    current transaction if there is one."""
    return await run(table, sql, *args)


_COMPILED: dict[tuple[str, int, bool], str] = {}
_COMPILED_MAX = 4096


def compiled(template: str, args: int, postgres: bool) -> str:
    """``template``'s ``{}`` placeholders as the engine's (``$1``... or ``?``), exactly as
    Piccolo's ``QueryString`` compiles them (``{{`` is a literal brace; arguments past the last
    placeholder are ignored); cached, since the hot paths run the same few templates."""
    key = (template, args, postgres)
    found = _COMPILED.get(key)
    if found is not None:
        return found
    parts: list[str] = []
    for n, (literal, *_) in enumerate(Formatter().parse(template)):
        parts.append(literal)
        if n < args:
            parts.append(f"${n + 1}" if postgres else "?")
    found = "".join(parts)
    if len(_COMPILED) < _COMPILED_MAX:
        _COMPILED[key] = found
    return found


async def run(table: type[Table], template: str, *args: Any) -> list[dict[str, Any]]:
    """Run ``template`` (``{}`` placeholders) as ``table.raw(template, *args)`` would (the same
    engine, the current transaction or else a pooled connection, rows as dicts), without
    building a query object: Piccolo's ``QueryString`` bundling and compiling cost more than a
    small statement takes to run."""
    if any(isinstance(a, QueryString) for a in args):
        return list(await table.raw(template, *args))  # a nested query: Piccolo composes it
    return await _execute(table, template, args)


async def _execute(table: type[Table], template: str, args: Sequence[Any]) -> list[dict[str, Any]]:
    """``run`` once its arguments are known to be values (no nested query)."""
    engine: Any = table._meta.db
    postgres = isinstance(engine, PostgresEngine)
    sql = compiled(template, len(args), postgres)
    transaction = engine.current_transaction.get()
    if postgres:
        if transaction is not None:
            rows = await transaction.connection.fetch(sql, *args)
        elif engine.pool:
            rows = await engine._run_in_pool(sql, list(args))
        else:
            rows = await engine._run_in_new_connection(sql, list(args))
        return [dict(r) for r in rows]
    if transaction is not None:
        found = await engine._run_in_existing_connection(
            connection=transaction.connection, query=sql, args=list(args)
        )
    else:
        found = await engine._run_in_new_connection(query=sql, args=list(args))
    return list(found) if found else []


def _where(table: type[Table], equals: dict[str, Any]) -> tuple[str, list[Any]]:
    """``"column" = {}`` for each keyword (column names checked against the table)."""
    parts, args = [], []
    for name, value in equals.items():
        parts.append(f"{_quoted(table, name)} = {{}}")
        args.append(str(value) if isinstance(value, uuid.UUID) else value)
    return " AND ".join(parts) or "1 = 1", args


_QUOTED: dict[tuple[type[Table], str], str] = {}


def _quoted(table: type[Table], name: str) -> str:
    """The column called ``name`` as SQL (checked against the table; a KeyError if not one)."""
    found = _QUOTED.get((table, name))
    if found is None:
        column = table._meta.get_column_by_name(name)
        found = _QUOTED[(table, name)] = f'"{column._meta.db_column_name}"'
    return found


def _columns(table: type[Table], names: Sequence[str]) -> str:
    if not names:
        return "*"
    return ", ".join(_quoted(table, n) for n in names)


async def first(
    table: type[Table], *, columns: Sequence[str] = (), **equals: Any
) -> dict[str, Any] | None:
    """The row whose columns equal the keywords, as Piccolo's ``select().first()`` gives it
    (the same values on both engines), without building a query object: ~25 us instead of
    ~300 us on a request's hot path."""
    where, args = _where(table, equals)
    rows = await run(
        table,
        f"SELECT {_columns(table, columns)} FROM {table._meta.tablename} "  # noqa: S608
        f"WHERE {where} LIMIT 1",
        *args,
    )
    return rows[0] if rows else None


async def every(
    table: type[Table], *, columns: Sequence[str] = (), order_by: str = "", **equals: Any
) -> list[dict[str, Any]]:
    """The rows whose columns equal the keywords (``order_by``: a column name), as ``first``."""
    where, args = _where(table, equals)
    order = ""
    if order_by:
        order = f" ORDER BY {_quoted(table, order_by)}"
    return await run(
        table,
        f"SELECT {_columns(table, columns)} FROM {table._meta.tablename} "  # noqa: S608
        f"WHERE {where}{order}",
        *args,
    )


_PLAIN = frozenset({str, int, float, bool, type(None), datetime, date, uuid.UUID})
"""Types Piccolo's ``convert_to_sql_value`` passes through unchanged (outside JSON columns)."""


@dataclass(frozen=True)
class _InsertPlan:
    """What ``insert`` needs of a table, worked out once per table."""

    columns: tuple[Column, ...]
    column_names: tuple[str, ...]
    names: frozenset[str]
    plain: tuple[bool, ...]  # the column takes a plain value as it is (not JSON)
    fill: tuple[Callable[[], Any], ...]  # a left-out column's value, as Piccolo would give it
    quoted: str
    one: str


_PLANS: dict[type[Table], _InsertPlan] = {}


def _filler(column: Column) -> Callable[[], Any]:
    """What ``column`` stores when a row leaves it out: its default (called again for every
    row if it is a callable or a ``Default`` such as "now"), as ``get_default_value`` and
    ``Default.python`` give it; a ValueError if it has none and is not nullable."""
    default = getattr(column, "default", ...)
    if default is ...:
        default = None
    elif isinstance(default, Enum):
        default = default.value
    name, nullable = column._meta.name, column._meta.null

    def fill() -> Any:
        value = default() if callable(default) else default
        if isinstance(value, Default):
            value = value.python()
        if value is None and not nullable:
            raise ValueError(f"{name} wasn't provided")
        return value

    return fill


def _plan(table: type[Table]) -> _InsertPlan:
    plan = _PLANS.get(table)
    if plan is None:
        columns = tuple(table._meta.columns)
        plan = _PLANS[table] = _InsertPlan(
            columns=columns,
            column_names=tuple(c._meta.name for c in columns),
            names=frozenset(c._meta.name for c in columns),
            plain=tuple(not isinstance(c, JSON | JSONB) for c in columns),
            fill=tuple(_filler(c) for c in columns),
            quoted=", ".join(f'"{c._meta.db_column_name}"' for c in columns),
            one="(" + ", ".join("{}" for _ in columns) + ")",
        )
    return plan


async def insert(table: type[Table], *rows: dict[str, Any]) -> None:
    """Insert ``rows`` (column name -> value) in one statement, in the current transaction:
    what Piccolo's ``insert`` of ``table(**row)`` would store (a column left out gets its
    default; JSON is dumped; a name that is not a column is refused, as Piccolo does)."""
    if not rows:
        return
    sql, args, nested = _insert_statement(table, rows)
    # Plain values need no look for a nested query among them (``run`` looks at every one).
    await (run(table, sql, *args) if nested else _execute(table, sql, args))


async def insert_together(*batches: tuple[type[Table], Sequence[dict[str, Any]]]) -> None:
    """``insert`` of each ``(table, rows)`` in turn, in the current transaction. On PostgreSQL
    they are one statement (each insert but the last a ``WITH`` clause): one round trip, not
    one a table. A row may refer to one inserted before it in the same call: PostgreSQL checks
    foreign keys at the end of the statement. On SQLite, one statement each."""
    batches = tuple((table, rows) for table, rows in batches if rows)
    if not batches:
        return
    statements = [_insert_statement(table, rows) for table, rows in batches]
    first = batches[0][0]
    if not on_postgres(first) or len(batches) == 1 or any(n for _, _, n in statements):
        for (table, _), (sql, args, nested) in zip(batches, statements, strict=True):
            await (run(table, sql, *args) if nested else _execute(table, sql, args))
        return
    clauses = ", ".join(f"written_{n} AS ({sql})" for n, (sql, _, _) in enumerate(statements[:-1]))
    await _execute(
        first,
        f"WITH {clauses} {statements[-1][0]}",
        [value for _, args, _ in statements for value in args],
    )


def _insert_statement(
    table: type[Table], rows: Sequence[dict[str, Any]]
) -> tuple[str, list[Any], bool]:
    """The ``INSERT`` of ``rows`` into ``table``: its template, its values, and whether a value
    is a nested query (Piccolo composes those)."""
    plan = _plan(table)
    args: list[Any] = []
    nested = False
    for row in rows:
        if unknown := row.keys() - plan.names:
            raise ValueError(f"unrecognised columns - {sorted(unknown)}")
        for column, name, plain, fill in zip(
            plan.columns, plan.column_names, plan.plain, plan.fill, strict=True
        ):
            value = row.get(name, ...)
            if value is ...:
                value = fill()
            if not (plain and type(value) in _PLAIN):
                value = convert_to_sql_value(value=value, column=column)
                nested = nested or isinstance(value, QueryString)
            args.append(value)
    sql = (
        f"INSERT INTO {table._meta.tablename} ({plan.quoted}) "  # noqa: S608 - our own names
        f"VALUES {', '.join(plan.one for _ in rows)}"
    )
    return sql, args, nested
