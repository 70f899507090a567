"""Hand-written SELECTs for the hot read paths (matching, the booking write path).

Piccolo's query builder costs tens of microseconds per column and per parameter, and its
SQLite converters turn every UUID column into a ``uuid.UUID`` object: fine for a page, too much
for a request that reads a few thousand rows. These helpers keep the same engine, connection and
transaction (so PostgreSQL's row security applies as for any query) and give the SQL only:

- ``ids_in(column, ids)``: one parameter for a whole list of ids (``json_each`` on SQLite,
  ``= ANY`` on PostgreSQL), instead of one placeholder per id;
- ``text_id(column)``: an id column read as text (no UUID object per row, same on both engines);
- ``select(table, sql, *args)``: run it through the table's engine, rows as dicts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table


def on_postgres(table: type[Table]) -> bool:
    return isinstance(table._meta.db, PostgresEngine)


def ids_in(table: type[Table], column: str, ids: Iterable[Any]) -> tuple[str, Any]:
    """``column`` is one of ``ids``: (SQL with one ``{}`` placeholder, its value)."""
    values = [str(i) for i in ids]
    if on_postgres(table):
        return f"{column} = ANY(CAST({{}} AS uuid[]))", values
    return f"{column} IN (SELECT value FROM json_each({{}}))", json.dumps(values)  # noqa: S608 - a column name of ours


def text_id(column: str, alias: str) -> str:
    """``column`` as text, named ``alias`` (the same string on both engines)."""
    return f"CAST({column} AS TEXT) AS {alias}"


async def select(table: type[Table], sql: str, *args: Any) -> list[dict[str, Any]]:
    """Rows of a hand-written SELECT (``{}`` placeholders), through ``table``'s engine and the
    current transaction if there is one."""
    return list(await table.raw(sql, *args))
