"""Write events with the business change; the worker relays them at least once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core import rawsql
from core.ids import new_id
from core.notifications.tables import OutboxEvent


async def enqueue(
    tenant_id: Any,
    kind: str,
    payload: dict[str, Any],
    *,
    at: datetime | None = None,
    event_id: str | None = None,
) -> str:
    """Add an event. Call inside the caller's write transaction so both commit or neither."""
    event = event_row(tenant_id, kind, payload, at=at, event_id=event_id)
    await rawsql.insert(OutboxEvent, event)
    return str(event["id"])


def event_row(
    tenant_id: Any,
    kind: str,
    payload: dict[str, Any],
    *,
    at: datetime | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """The row ``enqueue`` writes, for a caller writing it with its own rows
    (``rawsql.insert_together``)."""
    event = {"id": event_id or str(new_id()), "tenant": tenant_id, "kind": kind}
    event["payload"] = payload
    if at is not None:
        event["available_at"] = at
    return event
