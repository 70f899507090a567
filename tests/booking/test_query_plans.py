"""The providers' bookings query (matching, and the write path's last check) walks the
provider-and-hold-end index on SQLite whatever the planner's statistics say.

A connection keeps the statistics it opened with. Taken while the table was empty (a fresh
install), they make SQLite's planner pick the tenant index for "this tenant's bookings of these
providers": every booking of the tenant, milliseconds that grow with the table. The query names
its index (``core.rawsql.indexed_by``)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.matching.queries import PROVIDER_HOLD_INDEX, bookings_around_sql


def _sqlite(sql: str) -> str:
    """Piccolo's ``{}`` placeholders as sqlite3's ``?``."""
    return sql.replace("{}", "?")


async def test_the_bookings_of_providers_are_read_through_their_index(
    db: None, settings: Any, engine_name: str
) -> None:
    if engine_name != "sqlite":
        pytest.skip("PostgreSQL's autovacuum keeps its planner statistics")
    tenant, providers = str(uuid.uuid4()), [str(uuid.uuid4()) for _ in range(300)]
    start = datetime(2026, 12, 1, tzinfo=UTC)
    sql, ids = bookings_around_sql(providers[:2])
    args = [tenant, ids, start.isoformat(sep=" "), (start + timedelta(days=1)).isoformat(sep=" ")]
    naive = sql.replace(f" INDEXED BY {PROVIDER_HOLD_INDEX}", "")
    with closing(sqlite3.connect(settings.sqlite_path)) as conn:
        conn.execute("ANALYZE")  # statistics of an empty table, as on a fresh install
        conn.commit()
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
                    str(uuid.uuid4()),
                    providers[n % 300],
                    *[(start + timedelta(hours=n % 48)).isoformat(sep=" ")] * 6,
                )
                for n in range(3000)
            ],
        )
        conn.commit()

        def plan(query: str) -> str:
            rows = conn.execute("EXPLAIN QUERY PLAN " + _sqlite(query), args).fetchall()
            return " ".join(row[3] for row in rows)

        found = conn.execute(_sqlite(sql), args).fetchall()
        assert "booking_booking_tenant" in plan(naive)  # what the planner would do
        assert PROVIDER_HOLD_INDEX in plan(sql)
        conn.execute("DELETE FROM sqlite_stat1")  # leave no statistics to other tests
        conn.execute("DELETE FROM booking_booking WHERE tenant = ?", [tenant])
        conn.commit()
    hours = [n % 48 for n in range(3000) if n % 300 < 2]
    assert json.loads(ids) == providers[:2]
    assert len(found) == sum(1 for h in hours if 0 < h < 24)  # the right rows, too


async def test_the_matching_change_log_is_read_by_tenant_and_version(
    db: None, settings: Any, engine_name: str
) -> None:
    """An index a few versions behind reads those few rows of the log, not the tenant's whole
    log (50,000 rows kept): the tenant index alone would read them all."""
    if engine_name != "sqlite":
        pytest.skip("PostgreSQL's autovacuum keeps its planner statistics")
    from core.matching.version import CHANGE_INDEX, changes_sql

    tenant = str(uuid.uuid4())
    sql = changes_sql()
    args = [tenant, 4990, 4995]
    with closing(sqlite3.connect(settings.sqlite_path)) as conn:
        conn.execute("ANALYZE")  # statistics of an empty log, as on a fresh install
        conn.commit()
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.executemany(
            "INSERT INTO matching_change (id, tenant, version, provider, holds) "
            "VALUES (?, ?, ?, ?, 1)",
            [(str(uuid.uuid4()), tenant, n, str(uuid.uuid4())) for n in range(1, 5001)],
        )
        conn.commit()

        def plan(query: str) -> str:
            rows = conn.execute("EXPLAIN QUERY PLAN " + _sqlite(query), args).fetchall()
            return " ".join(row[3] for row in rows)

        found = conn.execute(_sqlite(sql), args).fetchall()
        assert f"{CHANGE_INDEX} (tenant=? AND version>? AND version<?)" in plan(sql)
        conn.execute("DELETE FROM sqlite_stat1")
        conn.execute("DELETE FROM matching_change WHERE tenant = ?", [tenant])
        conn.commit()
    assert sorted(row[0] for row in found) == [4991, 4992, 4993, 4994, 4995]


LISTINGS = {
    # the tenant's board and lists, by day, in order
    "SELECT id FROM booking_booking WHERE tenant = ? AND starts_at >= ? AND starts_at < ? "
    "AND status IN ('offered', 'accepted') ORDER BY starts_at": "booking_booking_tenant_starts",
    # offers due to expire (the worker's sweep)
    "SELECT id FROM booking_booking WHERE tenant = ? AND status = 'offered' "
    "AND offer_expires_at IS NOT NULL AND offer_expires_at <= ?": "booking_booking_tenant_status",
    # a customer's bookings, newest first
    "SELECT id FROM booking_booking WHERE tenant = ? AND customer = ? "
    "ORDER BY starts_at DESC LIMIT 50": "booking_booking_customer_starts",
    # a series' visits
    "SELECT id FROM booking_booking WHERE tenant = ? AND series = ? "
    "ORDER BY starts_at": "booking_booking_in_series",
}


async def test_the_listings_and_sweeps_read_bookings_in_order_from_an_index(
    db: None, settings: Any, engine_name: str
) -> None:
    """Each index costs every booking a write, so there are few, each serving a listing in the
    order it shows (no sort of the tenant's bookings), on a fresh install's statistics."""
    if engine_name != "sqlite":
        pytest.skip("SQLite's planner, on a fresh install's statistics")
    with closing(sqlite3.connect(settings.sqlite_path)) as conn:
        indexes = {
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'booking_booking' AND sql IS NOT NULL"
            )
        }
        for sql, index in LISTINGS.items():
            rows = conn.execute("EXPLAIN QUERY PLAN " + sql, [None] * sql.count("?")).fetchall()
            plan = " ".join(row[3] for row in rows)
            assert f"USING INDEX {index} " in plan, (sql, plan)
            assert "TEMP B-TREE" not in plan, (sql, plan)
    assert indexes == {
        "booking_booking_tenant_starts",
        "booking_booking_tenant_status",
        "booking_booking_customer_starts",
        "booking_booking_in_series",
        PROVIDER_HOLD_INDEX,
    }
