"""The relay finds due events through the partial index of unprocessed events: processed
events pile up (every booking writes one) and are never read again, so neither the claim nor
the index grows with them."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest


async def test_due_events_are_found_through_the_index_of_unprocessed_ones(
    db: None, settings: Any, engine_name: str
) -> None:
    if engine_name != "sqlite":
        pytest.skip("the plan is SQLite's (the statistics a fresh install has)")
    from core.notifications.relay import due_events

    tenant, now = str(uuid.uuid4()), datetime(2026, 12, 1, 12, tzinfo=UTC)

    def at(minutes: int) -> str:
        return (now + timedelta(minutes=minutes)).isoformat(sep=" ")

    done = [(str(uuid.uuid4()), tenant, at(-n), at(-n), at(-n + 1)) for n in range(3000)]
    due = [(str(uuid.uuid4()), tenant, at(-n), at(-n), None) for n in (5, 3, 9)]
    later = [(str(uuid.uuid4()), tenant, at(-1), at(30), None)]
    query = str(due_events(tenant, now, 2))
    with closing(sqlite3.connect(settings.sqlite_path)) as conn:
        conn.execute("ANALYZE")
        conn.commit()
        conn.execute("PRAGMA foreign_keys = OFF")  # events of nobody: only their shape matters
        conn.executemany(
            "INSERT INTO notifications_outbox (id, tenant, kind, payload, created_at, "
            "available_at, processed_at, attempts, last_error) "
            "VALUES (?, ?, 'booking.transition', '{}', ?, ?, ?, 0, '')",
            done + due + later,
        )
        conn.commit()
        plan = " ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + query))
        found = [row[0] for row in conn.execute(query)]
        conn.execute("DELETE FROM sqlite_stat1")
        conn.execute("DELETE FROM notifications_outbox WHERE tenant = ?", [tenant])
        conn.commit()
    assert "notifications_outbox_due" in plan
    assert found == [due[2][0], due[0][0]]  # the two oldest due, not the processed or later
