"""Urgent requests, in the customer's words: a burst pipe in Hangzhou at 10:00 on a Tuesday.

Five plumbers around the customer: one 500 m away but busy on another job from 11:30, two
within 3 km, two further out (5 and 10 km) who are better rated and score higher but lie
outside the first radius. Wanjia's policy: each offer times out after 60 s; the search widens
through 3, 6 and 12 km. Every call names its moment (``now``)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from core.booking.cascade import decline_and_cascade, expire_offers
from core.booking.service import OFFER_TIMED_OUT, Actor, BookingError, transition
from core.booking.states import CUSTOMER, PROVIDER, TransitionError
from core.booking.tables import Booking, BookingTransition
from core.booking.urgent import ARRIVAL_BUDGET, NOBODY_NOW, request_urgent, urgent_progress
from core.notifications.bookings import booking_facts, transition_notices
from core.notifications.tables import OutboxEvent
from core.tenancy.scoped import tenant_transaction
from core.worker import run_pass
from tests.factories import NOW, World, east_of, overlapping_holds

pytestmark = pytest.mark.db
PIPE = "repair.leak_repair"
TIMEOUT = timedelta(seconds=60)


@dataclass
class Street:
    world: World
    customer: str
    busy: str
    """500 m away, on another job from 11:30 to 12:30."""
    nearest: str
    """1 km away."""
    second: str
    """2 km away."""
    wider: str
    """5 km away, better rated: outside the first 3 km."""
    widest: str
    """10 km away."""

    def name(self, provider_id: str | None) -> str:
        names = {
            self.busy: "busy",
            self.nearest: "nearest",
            self.second: "second",
            self.wider: "wider",
            self.widest: "widest",
        }
        return names.get(provider_id or "", str(provider_id))

    def burst_pipe(self, point: tuple[float, float] | None = None) -> Any:
        return self.world.request(NOW, item=PIPE, tier="pipe_joint", intake={}, point=point)

    async def ask(self, *, now: datetime = NOW, customer: str | None = None) -> str:
        return await request_urgent(
            self.world.plugins,
            self.world.tenant,
            self.world.tenant_id,
            self.world.catalog,
            customer or self.customer,
            self.burst_pipe(),
            now=now,
        )

    async def expire(self, now: datetime) -> dict[str, int]:
        w = self.world
        return await expire_offers(w.plugins, w.tenant, w.tenant_id, w.catalog, now=now)

    async def decline(self, booking_id: str, provider_id: str, now: datetime) -> None:
        w = self.world
        await decline_and_cascade(
            w.plugins,
            w.tenant,
            w.tenant_id,
            w.catalog,
            booking_id,
            Actor(PROVIDER, provider_id=provider_id),
            now=now,
        )

    async def accept(self, booking_id: str, provider_id: str, now: datetime) -> None:
        w = self.world
        await transition(
            w.tenant,
            w.tenant_id,
            booking_id,
            "accepted",
            Actor(PROVIDER, provider_id=provider_id),
            now=now,
        )

    async def asked(self, booking_id: str) -> list[str]:
        row = await self.world.booking(booking_id)
        offered = row["offered_to"]
        return [
            self.name(p) for p in (json.loads(offered) if isinstance(offered, str) else offered)
        ]

    async def offered_to(self, booking_id: str) -> tuple[str, str, int]:
        row = await self.world.booking(booking_id)
        return row["status"], self.name(_str(row["provider"])), int(row["cascade_step"])


def _str(value: Any) -> str | None:
    return str(value) if value is not None else None


@pytest.fixture
async def street(wanjia: World) -> Street:
    centre = wanjia.centre
    busy = await wanjia.provider([PIPE], base=east_of(centre, 0.5), quality=0.2)
    nearest = await wanjia.provider([PIPE], base=east_of(centre, 1.0), quality=0.2)
    second = await wanjia.provider([PIPE], base=east_of(centre, 2.0), quality=0.2)
    wider = await wanjia.provider([PIPE], base=east_of(centre, 5.0), quality=1.0, rating=(50, 10))
    widest = await wanjia.provider([PIPE], base=east_of(centre, 10.0), quality=1.0, rating=(50, 10))
    await wanjia.provider()  # a cleaner next door: never asked about a pipe
    neighbour = await wanjia.customer()
    await wanjia.book(
        neighbour,
        wanjia.request(
            NOW + timedelta(minutes=90), item=PIPE, tier="pipe_joint", intake={}, provider_id=busy
        ),
    )
    customer = await wanjia.customer()
    return Street(wanjia, customer, busy, nearest, second, wider, widest)


async def test_an_urgent_burst_pipe_request_goes_first_to_the_nearest_free_plumber(
    street: Street,
) -> None:
    booking_id = await street.ask()

    row = await street.world.booking(booking_id)
    assert await street.offered_to(booking_id) == ("offered", "nearest", 0)
    assert row["urgent"] is True
    assert row["offer_expires_at"] == NOW + TIMEOUT
    assert row["starts_at"] == NOW + ARRIVAL_BUDGET
    assert await street.asked(booking_id) == ["nearest"]
    (record,) = await street.world.rows(BookingTransition, booking=booking_id)
    assert (record["from_state"], record["to_state"], record["actor_role"]) == (
        "requested",
        "offered",
        "system",
    )
    assert record["reason"] == "urgent offer within 3 km"


async def test_after_the_time_out_the_next_plumber_is_asked(street: Street) -> None:
    booking_id = await street.ask()

    assert await street.expire(NOW + TIMEOUT - timedelta(seconds=1)) == {
        "offers_expired": 0,
        "urgent_reoffered": 0,
        "urgent_unanswered": 0,
    }
    assert await street.offered_to(booking_id) == ("offered", "nearest", 0)

    report = await street.expire(NOW + TIMEOUT)

    assert report["offers_expired"] == 1 and report["urgent_reoffered"] == 1
    assert await street.offered_to(booking_id) == ("offered", "second", 0)
    assert (await street.world.booking(booking_id))["offer_expires_at"] == NOW + 2 * TIMEOUT
    assert await street.asked(booking_id) == ["nearest", "second"]


async def test_a_decline_moves_on_at_once_and_the_radius_widens_only_when_nobody_is_left(
    street: Street,
) -> None:
    booking_id = await street.ask()

    await street.decline(booking_id, street.nearest, NOW + timedelta(seconds=10))
    # The plumber 5 km away scores higher, but someone free is still left within 3 km.
    assert await street.offered_to(booking_id) == ("offered", "second", 0)
    assert (await street.world.booking(booking_id))["offer_expires_at"] == (
        NOW + timedelta(seconds=10) + TIMEOUT
    )

    await street.decline(booking_id, street.second, NOW + timedelta(seconds=20))
    assert await street.offered_to(booking_id) == ("offered", "wider", 1)

    await street.decline(booking_id, street.wider, NOW + timedelta(seconds=30))
    assert await street.offered_to(booking_id) == ("offered", "widest", 2)
    reasons = [
        r["reason"]
        for r in sorted(
            await street.world.rows(BookingTransition, booking=booking_id), key=lambda r: r["at"]
        )
        if r["to_state"] == "offered"
    ]
    assert reasons == [
        "urgent offer within 3 km",
        "urgent offer within 3 km",
        "urgent offer within 6 km",
        "urgent offer within 12 km",
    ]


async def test_nobody_is_asked_twice_and_when_every_radius_is_exhausted_the_customer_is_told(
    street: Street,
) -> None:
    world = street.world
    booking_id = await street.ask()

    reports = [await street.expire(NOW + TIMEOUT * n) for n in range(1, 6)]

    assert await street.asked(booking_id) == ["nearest", "second", "wider", "widest"]
    assert [r["urgent_reoffered"] for r in reports] == [1, 1, 1, 0, 0]
    assert [r["urgent_unanswered"] for r in reports] == [0, 0, 0, 1, 0]
    row = await world.booking(booking_id)
    assert (row["status"], row["provider"], row["offer_expires_at"]) == ("expired", None, None)
    progress = await urgent_progress(
        world.tenant, world.tenant_id, booking_id, Actor(CUSTOMER, street.customer), NOW
    )
    assert (progress.phase, progress.final, progress.asked) == ("unanswered", True, 4)

    # The customer hears of the first offer and of the end, not of every step between.
    told = []
    async with tenant_transaction(world.tenant_id):
        facts = await booking_facts(world.tenant, world.tenant_id, booking_id)
        events = await OutboxEvent.select().where(OutboxEvent.kind == "booking.transition")
    assert facts is not None
    for event in sorted(events, key=lambda e: e["created_at"]):
        payload = event["payload"]
        payload = json.loads(payload) if isinstance(payload, str) else payload
        if payload["booking_id"] == booking_id:
            told += [
                n.template for n in transition_notices(payload, facts) if n.audience == CUSTOMER
            ]
    assert told == ["booking_expired"]  # booking_requested: only while it is still offered

    # Later passes change nothing: nobody is asked again.
    before = await world.snapshot(booking_id)
    await street.expire(NOW + timedelta(hours=1))
    assert await world.snapshot(booking_id) == before


async def test_a_plumber_accepting_after_the_time_out_is_refused(street: Street) -> None:
    booking_id = await street.ask()
    before = await street.world.snapshot(booking_id)

    with pytest.raises(TransitionError) as refused:
        await street.accept(booking_id, street.nearest, NOW + TIMEOUT + timedelta(seconds=1))

    assert (refused.value.status_code, refused.value.reason) == (409, OFFER_TIMED_OUT)
    assert await street.world.snapshot(booking_id) == before
    await street.accept(booking_id, street.nearest, NOW + TIMEOUT - timedelta(seconds=1))
    assert await street.offered_to(booking_id) == ("accepted", "nearest", 0)


async def test_a_plumber_asked_earlier_cannot_take_it_back_after_it_moved_on(
    street: Street,
) -> None:
    booking_id = await street.ask()
    await street.expire(NOW + TIMEOUT)

    with pytest.raises(LookupError):  # not theirs any more (the API answers 409, see test_api)
        await street.accept(booking_id, street.nearest, NOW + TIMEOUT + timedelta(seconds=2))

    assert await street.offered_to(booking_id) == ("offered", "second", 0)


@pytest.mark.parametrize("first", ["accept", "expiry"])
async def test_a_concurrent_accept_and_expiry_resolve_to_one_outcome(
    street: Street, first: str
) -> None:
    booking_id = await street.ask()

    async def accept() -> str:
        try:
            await street.accept(booking_id, street.nearest, NOW + TIMEOUT - timedelta(seconds=1))
        except (TransitionError, LookupError) as exc:
            return type(exc).__name__
        return "accepted"

    async def expiry() -> dict[str, int]:
        return await street.expire(NOW + TIMEOUT)

    if first == "accept":
        answer, report = await asyncio.gather(accept(), expiry())
    else:
        report, answer = await asyncio.gather(expiry(), accept())

    status, provider, _ = await street.offered_to(booking_id)
    if answer == "accepted":
        assert (status, provider) == ("accepted", "nearest")
        assert report["offers_expired"] == 0
    else:
        assert (status, provider) == ("offered", "second")
        assert report["offers_expired"] == 1
    moves = [
        (r["from_state"], r["to_state"])
        for r in await street.world.rows(BookingTransition, booking=booking_id)
    ]
    assert (moves.count(("offered", "accepted")) + moves.count(("offered", "expired"))) == 1
    assert await overlapping_holds() == []


async def test_the_worker_pass_moves_offers_on_and_is_idempotent(
    street: Street, settings: Any, tenants: Any, plugins: Any
) -> None:
    booking_id = await street.ask()
    later = NOW + TIMEOUT + timedelta(seconds=5)

    first = await run_pass(settings, tenants, plugins, now=later)
    after_first = await street.world.snapshot(booking_id)
    again = await run_pass(settings, tenants, plugins, now=later)

    assert (first["offers_expired"], first["urgent_reoffered"]) == (1, 1)
    assert (again["offers_expired"], again["urgent_reoffered"]) == (0, 0)
    assert await street.offered_to(booking_id) == ("offered", "second", 0)
    row, transitions, _ = await street.world.snapshot(booking_id)
    assert (row, transitions) == after_first[:2]


async def test_a_cascade_cut_short_between_a_decline_and_the_next_offer_is_moved_on(
    street: Street,
) -> None:
    """A crash after the decline (committed) and before the next offer: the worker goes on."""
    world = street.world
    booking_id = await street.ask()
    await transition(
        world.tenant,
        world.tenant_id,
        booking_id,
        "declined",
        Actor(PROVIDER, provider_id=street.nearest),
        now=NOW + timedelta(seconds=5),
    )
    assert (await street.offered_to(booking_id))[0] == "declined"

    report = await street.expire(NOW + timedelta(seconds=6))

    assert report["urgent_reoffered"] == 1
    assert await street.offered_to(booking_id) == ("offered", "second", 0)


async def test_nobody_free_nearby_is_refused_at_once_and_nothing_is_stored(
    wanjia: World,
) -> None:
    customer = await wanjia.customer()
    far_away = east_of(wanjia.centre, 20.0)
    await wanjia.provider([PIPE], base=far_away, radius_km=25)  # serves it, but 20 km away
    request = wanjia.request(NOW, item=PIPE, tier="pipe_joint", intake={})

    with pytest.raises(BookingError) as refused:
        await request_urgent(
            wanjia.plugins, wanjia.tenant, wanjia.tenant_id, wanjia.catalog, customer, request, NOW
        )

    assert refused.value.status_code == 409
    assert [(p.field, p.reason) for p in refused.value.problems] == [("address", NOBODY_NOW)]
    assert await wanjia.rows(Booking) == []
    assert await wanjia.rows(BookingTransition) == []

    nowhere = wanjia.request(
        NOW, item=PIPE, tier="pipe_joint", intake={}, point=east_of(wanjia.centre, 80.0)
    )
    with pytest.raises(BookingError) as outside:
        await request_urgent(
            wanjia.plugins, wanjia.tenant, wanjia.tenant_id, wanjia.catalog, customer, nowhere, NOW
        )
    assert (outside.value.status_code, outside.value.problems[0].field) == (400, "address")


async def test_the_customer_watches_how_many_were_asked_and_how_far_never_who(
    street: Street, wanjia: World
) -> None:
    booking_id = await street.ask()
    me = Actor(CUSTOMER, street.customer)

    async def progress(at: datetime, actor: Actor = me) -> Any:
        return await urgent_progress(wanjia.tenant, wanjia.tenant_id, booking_id, actor, at)

    start = await progress(NOW + timedelta(seconds=15))
    assert (start.phase, start.asked, start.radius_km, start.widest_km) == (
        "searching",
        1,
        3.0,
        12.0,
    )
    assert (start.seconds_left, start.provider_id, start.final) == (45, None, False)

    await street.decline(booking_id, street.nearest, NOW + timedelta(seconds=20))
    await street.decline(booking_id, street.second, NOW + timedelta(seconds=30))
    wider = await progress(NOW + timedelta(seconds=40))
    assert (wider.asked, wider.radius_km, wider.seconds_left, wider.provider_id) == (
        3,
        6.0,
        50,
        None,
    )

    await street.accept(booking_id, street.wider, NOW + timedelta(minutes=1))
    found = await progress(NOW + timedelta(minutes=5))
    assert (found.phase, found.provider_id, found.eta_minutes) == ("found", street.wider, 40)
    assert found.seconds_left is None

    stranger = await wanjia.customer()
    with pytest.raises(LookupError):
        await progress(NOW, Actor(CUSTOMER, stranger))
    booked = await wanjia.book(
        street.customer,
        wanjia.request(NOW + timedelta(days=1), item=PIPE, tier="pipe_joint", intake={}),
    )
    with pytest.raises(LookupError):  # a booking at a time is not an urgent request
        await urgent_progress(wanjia.tenant, wanjia.tenant_id, booked, me, NOW)
