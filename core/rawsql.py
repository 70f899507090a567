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
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from piccolo.columns.defaults.base import Default
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table
from piccolo.utils.sql_values import convert_to_sql_value


def on_postgres(table: type[Table]) -> bool:
    return isinstance(table._meta.db, PostgresEngine)


def ids_in(table: type[Table], column: str, ids: Iterable[Any]) -> tuple[str, Any]:
    """``column`` is one of ``ids``: (SQL with one ``{}`` placeholder, its value)."""
    values = [str(i) for i in ids]
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
    return list(await table.raw(sql, *args))


def _where(table: type[Table], equals: dict[str, Any]) -> tuple[str, list[Any]]:
    """``"column" = {}`` for each keyword (column names checked against the table)."""
    parts, args = [], []
    for name, value in equals.items():
        column = table._meta.get_column_by_name(name)
        parts.append(f'"{column._meta.db_column_name}" = {{}}')
        args.append(str(value) if isinstance(value, uuid.UUID) else value)
    return " AND ".join(parts) or "1 = 1", args


def _columns(table: type[Table], names: Sequence[str]) -> str:
    if not names:
        return "*"
    return ", ".join(f'"{table._meta.get_column_by_name(n)._meta.db_column_name}"' for n in names)


async def first(
    table: type[Table], *, columns: Sequence[str] = (), **equals: Any
) -> dict[str, Any] | None:
    """The row whose columns equal the keywords, as Piccolo's ``select().first()`` gives it
    (the same values on both engines), without building a query object: ~25 us instead of
    ~300 us on a request's hot path."""
    where, args = _where(table, equals)
    rows = await table.raw(
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
        order = f' ORDER BY "{table._meta.get_column_by_name(order_by)._meta.db_column_name}"'
    return list(
        await table.raw(
            f"SELECT {_columns(table, columns)} FROM {table._meta.tablename} "  # noqa: S608
            f"WHERE {where}{order}",
            *args,
        )
    )


async def insert(table: type[Table], *rows: dict[str, Any]) -> None:
    """Insert ``rows`` (column name -> value) in one statement, in the current transaction:
    what Piccolo's ``insert`` of ``table(**row)`` would store (a column left out gets its
    default; JSON is dumped; a name that is not a column is refused, as Piccolo does)."""
    if not rows:
        return
    columns = table._meta.columns
    names = {c._meta.name for c in columns}
    args: list[Any] = []
    for row in rows:
        if unknown := set(row) - names:
            raise ValueError(f"unrecognised columns - {sorted(unknown)}")
        for column in columns:
            value = row.get(column._meta.name, ...)
            if value is ...:
                value = column.get_default_value()
                if isinstance(value, Default):
                    value = value.python()
                if value is None and not column._meta.null:
                    raise ValueError(f"{column._meta.name} wasn't provided")
            args.append(convert_to_sql_value(value=value, column=column))
    one = "(" + ", ".join("{}" for _ in columns) + ")"
    quoted = ", ".join(f'"{c._meta.db_column_name}"' for c in columns)
    await table.raw(
        f"INSERT INTO {table._meta.tablename} ({quoted}) "  # noqa: S608 - our own names
        f"VALUES {', '.join(one for _ in rows)}",
        *args,
    )
