"""No double booking, ever: a provider never holds two overlapping bookings, travel buffers
included. SQLite: the one write path (one writer per process, BEGIN IMMEDIATE) around the
check and the insert. PostgreSQL: the exclusion constraint ``booking_no_overlapping_holds``,
whatever the application does.

Every test ends with the database audit: zero pairs of overlapping holds for any provider.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from core.booking.moves import reschedule
from core.booking.service import Actor, BookingError, transition
from core.booking.states import PROVIDER, STAFF, TransitionError
from core.booking.tables import Booking
from core.tenancy.scoped import tenant_transaction
from tests.factories import NOW, TOMORROW, World, at, overlapping_holds

pytestmark = pytest.mark.db

RACERS = 50
NINE = at(TOMORROW, "09:00")
"""Deep cleaning, 90 m2 from 09:00: 330 minutes, so it ends at 14:30 and holds the provider
from 08:30 to 15:00 (Jiejia's travel buffer: 30 minutes each side)."""


async def race(world: World, provider_id: str | None, starts: list[Any]) -> list[Any]:
    customers = [await world.customer() for _ in range(8)]
    return await asyncio.gather(
        *[
            world.book(customers[n % len(customers)], world.request(s, provider_id=provider_id))
            for n, s in enumerate(starts)
        ],
        return_exceptions=True,
    )


def outcome(results: list[Any]) -> tuple[list[str], list[BookingError]]:
    won = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, BookingError)]
    assert len(won) + len(refused) == len(results), [
        r for r in results if not isinstance(r, str | BookingError)
    ]
    return won, refused


async def test_fifty_simultaneous_bookings_of_one_providers_slot_have_exactly_one_winner(
    jiejia: World,
) -> None:
    provider = await jiejia.provider()
    won, refused = outcome(await race(jiejia, provider, [NINE] * RACERS))

    assert len(won) == 1
    assert len(refused) == RACERS - 1
    assert {e.status_code for e in refused} == {409}
    assert {p.field for e in refused for p in e.problems} <= {"starts_at", "provider_id"}
    assert all("choose another" in p.reason for e in refused for p in e.problems)
    holding = [b for b in await jiejia.rows(Booking) if b["status"] == "offered"]
    assert [str(b["id"]) for b in holding] == won
    assert await overlapping_holds() == []


async def test_best_available_with_one_provider_also_has_one_winner(jiejia: World) -> None:
    await jiejia.provider()
    won, refused = outcome(await race(jiejia, None, [NINE] * RACERS))
    assert len(won) == 1
    assert {e.status_code for e in refused} == {409}
    assert await overlapping_holds() == []


async def test_staggered_overlapping_starts_still_have_one_winner(jiejia: World) -> None:
    """Fifty requests between 09:00 and 11:27, every one overlapping every other."""
    provider = await jiejia.provider()
    starts = [NINE + timedelta(minutes=3 * n) for n in range(RACERS)]
    won, refused = outcome(await race(jiejia, provider, starts))
    assert len(won) == 1
    assert len(refused) == RACERS - 1
    assert await overlapping_holds() == []


async def test_with_three_providers_three_win_each_with_a_different_provider(
    jiejia: World,
) -> None:
    for _ in range(3):
        await jiejia.provider()
    won, refused = outcome(await race(jiejia, None, [NINE] * RACERS))
    assert len(won) == 3
    assert len(refused) == RACERS - 3
    providers = Counter(str(b["provider"]) for b in await jiejia.rows(Booking))
    assert sorted(providers.values()) == [1, 1, 1]
    assert await overlapping_holds() == []


async def test_the_travel_buffer_is_part_of_the_hold(jiejia: World) -> None:
    """09:00-14:30 holds 08:30-15:00: a job at 15:00 (held from 14:30) does not fit; one at
    15:30 (held from 15:00, the same address so no travel) does."""
    provider = await jiejia.provider()
    customer = await jiejia.customer()
    first = await jiejia.book(customer, jiejia.request(NINE, provider_id=provider))
    row = await jiejia.booking(first)
    assert (row["hold_start"], row["hold_end"]) == (at(TOMORROW, "08:30"), at(TOMORROW, "15:00"))

    small = {"tier": "daily", "intake": {"area_m2": 60, "hours": 2}}
    for refused_at in ("08:00", "14:45", "15:00"):
        with pytest.raises(BookingError) as caught:
            await jiejia.book(
                customer,
                jiejia.request(at(TOMORROW, refused_at), provider_id=provider, **small),
            )
        assert caught.value.status_code == 409
    assert await jiejia.book(
        customer, jiejia.request(at(TOMORROW, "15:30"), provider_id=provider, **small)
    )
    assert await overlapping_holds() == []


async def test_a_declined_offer_cannot_be_offered_again_into_a_taken_slot(jiejia: World) -> None:
    """The provider declines, someone else books the freed time, then staff re-offers the
    first booking to the same provider: refused (409), not a second hold."""
    provider = await jiejia.provider()
    provider_actor = Actor(PROVIDER, provider_id=provider)
    first = await jiejia.book(await jiejia.customer(), jiejia.request(NINE, provider_id=provider))
    async with tenant_transaction(jiejia.tenant_id):
        await transition(
            jiejia.tenant, jiejia.tenant_id, first, "declined", provider_actor, now=NOW
        )
    second = await jiejia.book(await jiejia.customer(), jiejia.request(NINE, provider_id=provider))
    assert second != first

    with pytest.raises(TransitionError) as caught:
        async with tenant_transaction(jiejia.tenant_id):
            await transition(
                jiejia.tenant, jiejia.tenant_id, first, "offered", Actor(STAFF), now=NOW
            )
    assert caught.value.status_code == 409
    assert (await jiejia.booking(first))["status"] == "declined"
    assert await overlapping_holds() == []

    # Once the other booking is cancelled, the re-offer goes through.
    async with tenant_transaction(jiejia.tenant_id):
        await transition(
            jiejia.tenant, jiejia.tenant_id, second, "cancelled", Actor(STAFF), now=NOW
        )
        await transition(jiejia.tenant, jiejia.tenant_id, first, "offered", Actor(STAFF), now=NOW)
    assert (await jiejia.booking(first))["status"] == "offered"
    assert await overlapping_holds() == []


async def test_simultaneous_reschedules_into_one_slot_have_one_winner(jiejia: World) -> None:
    provider = await jiejia.provider()
    customers = [await jiejia.customer() for _ in range(6)]
    days = [TOMORROW + timedelta(days=n) for n in range(1, 7)]
    bookings = [
        await jiejia.book(c, jiejia.request(at(d, "09:00"), provider_id=provider))
        for c, d in zip(customers, days, strict=True)
    ]
    target = at(TOMORROW, "09:00")

    async def move(customer: str, booking_id: str) -> None:
        async with tenant_transaction(jiejia.tenant_id):
            await reschedule(
                jiejia.plugins,
                jiejia.tenant,
                jiejia.tenant_id,
                jiejia.catalog,
                booking_id,
                Actor("customer", user_id=customer),
                target,
                now=NOW,
            )

    results = await asyncio.gather(
        *[move(c, b) for c, b in zip(customers, bookings, strict=True)], return_exceptions=True
    )
    assert sum(r is None for r in results) == 1, results
    assert all(isinstance(r, BookingError) and r.status_code == 409 for r in results if r), results
    assert await overlapping_holds() == []


# --- PostgreSQL: the constraint decides, whatever the application does ----------------------

INSERT = """
INSERT INTO booking_booking (
    id, tenant, customer, provider, status, vertical, items, total_fen, currency, address_enc,
    point_enc, district, starts_at, ends_at, hold_start, hold_end, urgent, cancellation_fee_fen,
    note, version, created_at, updated_at
) VALUES (
    $1, $2, $3, $4, $5, 'housekeeping', '[]', 9900, 'CNY', 'x', 'x', '', $6, $7, $6, $7, false,
    0, '', 1, now(), now()
)
"""


async def _connect(tenant_id: str) -> Any:
    """A connection of its own, as the application role, in a transaction of the tenant."""
    import asyncpg

    connection = await asyncpg.connect(os.environ["DATABASE_URL"])
    await connection.execute("BEGIN")
    await connection.execute("SELECT set_config('doorstep.tenant_id', $1, true)", tenant_id)
    return connection


async def test_postgres_the_exclusion_constraint_rejects_a_second_hold_from_another_connection(
    jiejia: World, pg_cluster: Any
) -> None:
    """Bypass the application: two connections insert overlapping holds of one provider.
    The second waits for the first to commit, then the constraint rejects it."""
    import asyncpg

    provider = uuid.UUID(await jiejia.provider())
    other_provider = uuid.UUID(await jiejia.provider())
    customer = uuid.UUID(await jiejia.customer())
    tenant = uuid.UUID(jiejia.tenant_id)
    first, second = await _connect(jiejia.tenant_id), await _connect(jiejia.tenant_id)
    try:
        await first.execute(
            INSERT,
            uuid.uuid4(),
            tenant,
            customer,
            provider,
            "offered",
            NINE,
            NINE + timedelta(hours=3),
        )
        blocked = asyncio.create_task(
            second.execute(
                INSERT,
                uuid.uuid4(),
                tenant,
                customer,
                provider,
                "accepted",
                NINE + timedelta(hours=2),
                NINE + timedelta(hours=4),
            )
        )
        await asyncio.sleep(0.3)
        assert not blocked.done(), "the second insert should wait for the first transaction"
        await first.execute("COMMIT")
        with pytest.raises(asyncpg.exceptions.ExclusionViolationError):
            await blocked
        await second.execute("ROLLBACK")

        # Not holding, another provider, or touching end to start: all accepted.
        third = await _connect(jiejia.tenant_id)
        try:
            for status, who, start, end in (
                ("cancelled", provider, NINE, NINE + timedelta(hours=3)),
                ("declined", provider, NINE, NINE + timedelta(hours=3)),
                ("offered", other_provider, NINE, NINE + timedelta(hours=3)),
                ("offered", provider, NINE + timedelta(hours=3), NINE + timedelta(hours=4)),
            ):
                await third.execute(INSERT, uuid.uuid4(), tenant, customer, who, status, start, end)
            await third.execute("COMMIT")
        finally:
            await third.close()

        # An update that would make two holds overlap is rejected too.
        fourth = await _connect(jiejia.tenant_id)
        try:
            with pytest.raises(asyncpg.exceptions.ExclusionViolationError):
                await fourth.execute(
                    "UPDATE booking_booking SET status = 'offered' "
                    "WHERE provider = $1 AND status = 'cancelled'",
                    provider,
                )
        finally:
            await fourth.close()
    finally:
        await first.close()
        await second.close()
    assert await overlapping_holds() == []


async def test_postgres_fifty_connections_racing_through_the_service(
    jiejia: World, pg_cluster: Any
) -> None:
    """On PostgreSQL there is no in-process lock: each booking runs in its own connection and
    transaction, so the exclusion constraint is what picks the one winner (the losers that
    checked before the winner committed get the constraint's 409)."""
    provider = await jiejia.provider()
    won, refused = outcome(await race(jiejia, provider, [NINE] * RACERS))
    assert len(won) == 1
    assert {e.status_code for e in refused} == {409}
    assert await overlapping_holds() == []


def _deadlocking_insert(monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """The booking's insert is chosen as a deadlock victim ``times`` times (what PostgreSQL
    does when two uncommitted bookings of one provider's time wait for each other)."""
    from asyncpg.exceptions import DeadlockDetectedError

    from core import rawsql

    real, seen = rawsql.insert_together, [0]

    async def insert_together(*batches: Any) -> None:
        if any(table is Booking and rows for table, rows in batches) and seen[0] < times:
            seen[0] += 1
            raise DeadlockDetectedError("deadlock detected")
        await real(*batches)

    monkeypatch.setattr(rawsql, "insert_together", insert_together)
    return seen


async def test_a_booking_undone_by_a_deadlock_is_tried_again(
    jiejia: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider, customer = await jiejia.provider(), await jiejia.customer()
    seen = _deadlocking_insert(monkeypatch, times=1)

    booked = await jiejia.book(customer, jiejia.request(NINE, provider_id=provider))

    assert seen == [1]
    assert [str(b["id"]) for b in await jiejia.rows(Booking)] == [booked]


async def test_a_booking_that_keeps_meeting_deadlocks_is_a_409_and_writes_nothing(
    jiejia: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider, customer = await jiejia.provider(), await jiejia.customer()
    _deadlocking_insert(monkeypatch, times=100)

    with pytest.raises(BookingError) as caught:
        await jiejia.book(customer, jiejia.request(NINE, provider_id=provider))

    assert caught.value.status_code == 409
    assert await jiejia.rows(Booking) == []
