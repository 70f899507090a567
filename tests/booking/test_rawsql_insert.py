"""``core.rawsql.insert`` stores what Piccolo's insert stores (both engines): the hot write
path (a booking, its audit row, its outbox event) skips building a Table object and a query
per row, and must not store anything differently for it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from core import rawsql
from core.booking.tables import Booking, BookingTransition
from core.db import write_transaction
from core.notifications.tables import OutboxEvent
from core.tenancy.scoped import tenant_transaction
from tests.factories import World

pytestmark = pytest.mark.db

AT = datetime(2026, 3, 10, 2, 0, 30, 123456, tzinfo=UTC)


async def stored(world: World, table: Any, row_id: str) -> dict[str, Any]:
    async with tenant_transaction(world.tenant_id):
        found = await table.select().where(table.id == row_id).first()
    assert found is not None
    found.pop("id")
    return found


async def test_an_event_inserted_by_hand_reads_back_as_piccolos(jiejia: World) -> None:
    values = {
        "tenant": jiejia.tenant_id,
        "kind": "booking.transition",
        "payload": {"booking_id": "b", "to": "offered", "n": 3, "zh": "上门"},
        "created_at": AT,
        "available_at": AT,
    }
    ours, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    async with tenant_transaction(jiejia.tenant_id), write_transaction():
        await rawsql.insert(OutboxEvent, {"id": ours, **values})
        await OutboxEvent.insert(OutboxEvent(id=theirs, **values))
    assert await stored(jiejia, OutboxEvent, ours) == await stored(jiejia, OutboxEvent, theirs)


async def test_left_out_columns_get_their_defaults(jiejia: World) -> None:
    booking, customer = str(uuid.uuid4()), await jiejia.customer()
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    rows = [
        {"id": first, "tenant": jiejia.tenant_id, "booking": booking, "to_state": "offered"},
        {"id": second, "tenant": jiejia.tenant_id, "booking": booking, "to_state": "accepted"},
    ]
    before = datetime.now(UTC)
    async with tenant_transaction(jiejia.tenant_id), write_transaction():
        await Booking.insert(
            Booking(id=booking, tenant=jiejia.tenant_id, customer=customer, status="offered")
        )
        await rawsql.insert(BookingTransition, *rows)
    one = await stored(jiejia, BookingTransition, first)
    two = await stored(jiejia, BookingTransition, second)
    assert (one["to_state"], two["to_state"]) == ("offered", "accepted")
    assert (one["reason"], one["actor"], one["from_state"]) == ("", None, "")
    assert one["at"] >= before


async def test_a_name_that_is_not_a_column_is_refused(jiejia: World) -> None:
    async with tenant_transaction(jiejia.tenant_id):
        with pytest.raises(ValueError, match="unrecognised columns - \\['colour'\\]"):
            await rawsql.insert(OutboxEvent, {"tenant": jiejia.tenant_id, "colour": "red"})
        with pytest.raises(ValueError, match="tenant wasn't provided"):
            await rawsql.insert(OutboxEvent, {"kind": "x"})
