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


async def test_rows_inserted_together_are_stored_as_one_by_one_even_referring_to_each_other(
    jiejia: World, engine_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A booking, its audit row (whose foreign key names the booking) and its event: one
    statement on PostgreSQL, one round trip."""
    booking, customer = str(uuid.uuid4()), await jiejia.customer()
    audit, event = str(uuid.uuid4()), str(uuid.uuid4())
    statements: list[str] = []
    real = rawsql._execute

    async def counting(table: Any, sql: str, args: Any) -> Any:
        statements.append(sql)
        return await real(table, sql, args)

    monkeypatch.setattr(rawsql, "_execute", counting)
    async with tenant_transaction(jiejia.tenant_id), write_transaction():
        await rawsql.insert_together(
            (Booking, [_booking(jiejia, booking, customer)]),
            (BookingTransition, [{"id": audit, "tenant": jiejia.tenant_id, "booking": booking}]),
            (OutboxEvent, []),  # nothing to write: left out
            (OutboxEvent, [{"id": event, "tenant": jiejia.tenant_id, "kind": "k", "payload": {}}]),
        )

    assert len(statements) == (1 if engine_name == "postgres" else 3)
    assert (await stored(jiejia, BookingTransition, audit))["booking"] == uuid.UUID(booking)
    assert (await stored(jiejia, OutboxEvent, event))["kind"] == "k"
    assert (await stored(jiejia, Booking, booking))["status"] == "offered"


async def test_rows_inserted_together_are_all_undone_when_one_fails(jiejia: World) -> None:
    booking, customer, taken = str(uuid.uuid4()), await jiejia.customer(), str(uuid.uuid4())
    async with tenant_transaction(jiejia.tenant_id), write_transaction():
        await rawsql.insert(OutboxEvent, {"id": taken, "tenant": jiejia.tenant_id, "kind": "k"})
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        async with tenant_transaction(jiejia.tenant_id), write_transaction():
            await rawsql.insert_together(
                (Booking, [_booking(jiejia, booking, customer)]),
                (OutboxEvent, [{"id": taken, "tenant": jiejia.tenant_id, "kind": "again"}]),
            )
    async with tenant_transaction(jiejia.tenant_id):
        assert await Booking.count().where(Booking.id == booking) == 0


def _booking(world: World, booking: str, customer: Any) -> dict[str, Any]:
    return {
        "id": booking,
        "tenant": world.tenant_id,
        "customer": customer,
        "status": "offered",
        "vertical": "housekeeping",
        "total_fen": 0,
        "address_enc": "",
        "point_enc": "",
        "starts_at": AT,
        "ends_at": AT,
        "hold_start": AT,
        "hold_end": AT,
    }
