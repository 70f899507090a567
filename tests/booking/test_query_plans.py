"""SQLite chooses indexes by its statistics: they are refreshed after migrating and hourly by
the worker (``core.db.refresh_planner_statistics``), so "these providers' bookings still to
end" walks the provider index, not every booking of the tenant, once the table has grown."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.db import refresh_planner_statistics

PROVIDERS_BOOKINGS = (
    "SELECT id FROM booking_booking WHERE tenant = ? "
    "AND provider IN (SELECT value FROM json_each(?)) AND hold_end > ?"
)


def _plan(conn: sqlite3.Connection, sql: str, args: list[Any]) -> str:
    return " ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, args))


async def test_statistics_follow_the_data(db: None, settings: Any, engine_name: str) -> None:
    if engine_name != "sqlite":
        pytest.skip("PostgreSQL's autovacuum keeps its planner statistics")
    tenant, providers = str(uuid.uuid4()), [str(uuid.uuid4()) for _ in range(300)]
    start = datetime(2026, 12, 1, tzinfo=UTC)
    with closing(sqlite3.connect(settings.sqlite_path)) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")  # rows of nobody: only their shape matters
        conn.executemany(
            "INSERT INTO booking_booking (id, tenant, customer, provider, status, vertical, "
            "items, total_fen, currency, address_enc, point_enc, district, starts_at, ends_at, "
            "hold_start, hold_end, urgent, note, created_at, updated_at, version, "
            "cancellation_fee_fen) VALUES (?, ?, ?, ?, 'offered', 'housekeeping', '[]', 0, "
            "'CNY', '', '', '', ?, ?, ?, ?, 0, '', ?, ?, 0, 0)",
            [
                (
                    str(uuid.uuid4()),
                    tenant,
                    providers[n % 300],
                    str(uuid.uuid4()),
                    *[(start + timedelta(hours=n)).isoformat(sep=" ")] * 6,
                )
                for n in range(3000)
            ],
        )
        conn.commit()
        conn.execute("DELETE FROM sqlite_stat1")  # as before the first refresh
        conn.commit()
    args = [tenant, f'["{providers[0]}"]', start.isoformat(sep=" ")]
    with closing(sqlite3.connect(settings.sqlite_path)) as conn:
        before = _plan(conn, PROVIDERS_BOOKINGS, args)
    refresh_planner_statistics(settings)
    with closing(sqlite3.connect(settings.sqlite_path)) as conn:
        after = _plan(conn, PROVIDERS_BOOKINGS, args)
    assert "booking_booking_tenant" in before  # what the planner does without statistics
    assert "booking_booking_provider_hold_end" in after
