"""One booking state machine: every allowed transition by the right role works, is timestamped,
audited and announced; everything else is refused with its reason and changes nothing.

requested -> offered -> accepted -> en route -> arrived -> in progress -> completed -> closed,
with cancelled, declined, no-show and expired branches.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from core.booking.service import Actor, load, transition
from core.booking.states import CUSTOMER, PROVIDER, STAFF, SYSTEM, TRANSITIONS, TransitionError
from core.booking.tables import Booking, BookingTransition
from core.notifications.tables import OutboxEvent
from core.tenancy.scoped import tenant_transaction
from tests.factories import NOW, TOMORROW, World, at, east_of

pytestmark = pytest.mark.db

ROLES = (CUSTOMER, PROVIDER, STAFF, SYSTEM)
STATES = sorted({state for pair in TRANSITIONS for state in pair})
ALLOWED = sorted((frm, to, role) for (frm, to), roles in TRANSITIONS.items() for role in roles)
LATER = NOW + timedelta(minutes=5)
"""When the transitions under test happen (after the booking was made at NOW)."""


@dataclass
class Cast:
    """The people around one tenant's bookings: a customer, their provider, staff."""

    world: World
    customer: str
    provider: str
    provider_user: str
    days: itertools.count[int]

    def actor(self, role: str) -> Actor:
        if role == CUSTOMER:
            return Actor(CUSTOMER, user_id=self.customer)
        if role == PROVIDER:
            return Actor(PROVIDER, user_id=self.provider_user, provider_id=self.provider)
        if role == STAFF:
            return Actor(STAFF, user_id="00000000-0000-4000-8000-0000000000aa")
        return Actor(SYSTEM)

    async def booking_in(self, state: str) -> str:
        """A booking (each on its own day, so none overlap) put straight into ``state``."""
        starts = at(TOMORROW + timedelta(days=next(self.days)), "09:00")
        booking_id = await self.world.book(self.customer, self.world.request(starts))
        if state != "offered":
            async with tenant_transaction(self.world.tenant_id):
                await Booking.update({Booking.status: state}).where(Booking.id == booking_id)
        return booking_id

    async def move(
        self,
        booking_id: str,
        target: str,
        role: str,
        *,
        position: Any = "at the address",
        when: datetime = LATER,
    ) -> dict[str, Any]:
        if position == "at the address":
            position = self.world.centre
        async with tenant_transaction(self.world.tenant_id):
            return await transition(
                self.world.tenant,
                self.world.tenant_id,
                booking_id,
                target,
                self.actor(role),
                position=position,
                now=when,
            )


@pytest.fixture
async def cast(jiejia: World) -> Cast:
    provider = await jiejia.provider()
    return Cast(
        jiejia,
        await jiejia.customer(),
        provider,
        await jiejia.provider_user(provider),
        itertools.count(0),
    )


@pytest.mark.parametrize(("frm", "to", "role"), ALLOWED, ids=["-".join(a) for a in ALLOWED])
async def test_every_allowed_transition_by_its_role_is_timestamped_audited_and_announced(
    cast: Cast, frm: str, to: str, role: str
) -> None:
    booking_id = await cast.booking_in(frm)
    events_before = len(await cast.world.rows(OutboxEvent))

    await cast.move(booking_id, to, role)

    row = await cast.world.booking(booking_id)
    assert row["status"] == to
    assert row["updated_at"] == LATER
    assert row["version"] == 2
    audit = [
        t for t in await cast.world.rows(BookingTransition, booking=booking_id) if t["at"] == LATER
    ]
    assert len(audit) == 1
    assert (audit[0]["from_state"], audit[0]["to_state"]) == (frm, to)
    assert audit[0]["actor_role"] == role
    events = await cast.world.rows(OutboxEvent)
    assert len(events) == events_before + 1
    (event,) = [e for e in events if _payload(e)["at"] == LATER.isoformat()]
    assert _payload(event) == {
        "booking_id": booking_id,
        "from": frm,
        "to": to,
        "actor_role": role,
        "at": LATER.isoformat(),
        "reason": "",
    }


@pytest.mark.parametrize("state", STATES)
async def test_every_other_move_is_refused_with_its_reason_and_changes_nothing(
    cast: Cast, state: str
) -> None:
    """Wrong state: 409 naming both states. Right state, wrong role: 403 naming the role."""
    booking_id = await cast.booking_in(state)
    before = await cast.world.snapshot(booking_id)
    refused = 0
    for target in STATES:
        for role in ROLES:
            allowed = TRANSITIONS.get((state, target))
            if allowed is not None and role in allowed:
                continue
            with pytest.raises(TransitionError) as caught:
                await cast.move(booking_id, target, role)
            if allowed is None:
                assert caught.value.status_code == 409
                assert caught.value.reason == f"a booking that is {state} cannot become {target}"
            else:
                assert caught.value.status_code == 403
                assert role in caught.value.reason
            refused += 1
    assert refused >= len(STATES) * len(ROLES) - len(ALLOWED)
    assert await cast.world.snapshot(booking_id) == before


async def test_the_whole_journey_from_offer_to_closed(cast: Cast) -> None:
    booking_id = await cast.booking_in("offered")
    steps = [
        ("accepted", PROVIDER),
        ("en_route", PROVIDER),
        ("arrived", PROVIDER),
        ("in_progress", PROVIDER),
        ("completed", PROVIDER),
        ("closed", CUSTOMER),
    ]
    for n, (target, role) in enumerate(steps, start=1):
        await cast.move(booking_id, target, role, when=LATER + timedelta(minutes=n))
    audit = sorted(
        await cast.world.rows(BookingTransition, booking=booking_id), key=lambda t: t["at"]
    )
    assert [(t["from_state"], t["to_state"]) for t in audit] == [
        ("requested", "offered"),
        ("offered", "accepted"),
        ("accepted", "en_route"),
        ("en_route", "arrived"),
        ("arrived", "in_progress"),
        ("in_progress", "completed"),
        ("completed", "closed"),
    ]
    assert [t["at"] for t in audit[1:]] == [
        LATER + timedelta(minutes=n) for n in range(1, len(steps) + 1)
    ]


async def test_someone_elses_booking_is_not_found(cast: Cast) -> None:
    """Another customer, another provider: a 404 (LookupError), never a 403 confirming it."""
    booking_id = await cast.booking_in("offered")
    before = await cast.world.snapshot(booking_id)
    stranger = await cast.world.customer()
    other_provider = await cast.world.provider()
    async with tenant_transaction(cast.world.tenant_id):
        with pytest.raises(LookupError):
            await transition(
                cast.world.tenant,
                cast.world.tenant_id,
                booking_id,
                "cancelled",
                Actor(CUSTOMER, user_id=stranger),
                now=LATER,
            )
        with pytest.raises(LookupError):
            await transition(
                cast.world.tenant,
                cast.world.tenant_id,
                booking_id,
                "accepted",
                Actor(PROVIDER, user_id=stranger, provider_id=other_provider),
                now=LATER,
            )
    assert await cast.world.snapshot(booking_id) == before


async def test_arrived_only_within_the_geofence(cast: Cast) -> None:
    """Jiejia's geofence is the default 300 m around the address."""
    booking_id = await cast.booking_in("en_route")
    before = await cast.world.snapshot(booking_id)
    with pytest.raises(TransitionError) as far:
        await cast.move(booking_id, "arrived", PROVIDER, position=east_of(cast.world.centre, 1.0))
    assert far.value.status_code == 400
    assert "within 300 m" in far.value.reason
    with pytest.raises(TransitionError) as unknown:
        await cast.move(booking_id, "arrived", PROVIDER, position=None)
    assert unknown.value.status_code == 400
    assert "location" in unknown.value.reason
    assert await cast.world.snapshot(booking_id) == before

    near = east_of(cast.world.centre, 0.25)
    assert (await cast.move(booking_id, "arrived", PROVIDER, position=near))["status"] == "arrived"


async def test_two_simultaneous_answers_to_one_offer_only_one_applies(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Accept, decline and the offer's expiry at the same moment, each having read the offer:
    one wins, the others are 409s. (One after another they need not all fail: the system may
    expire an offer its provider declined. So each waits, once it has read the booking, for
    the others to have read it too: on PostgreSQL they then race to write the same version.
    SQLite's single writer runs them one after another; the wait gives up after a moment.)"""
    booking_id = await cast.booking_in("offered")
    read, everyone_read = [0], asyncio.Event()

    async def reading_together(tenant_id: str, booking: str) -> dict[str, Any]:
        row = await load(tenant_id, booking)
        read[0] += 1
        if read[0] >= 3:
            everyone_read.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(everyone_read.wait(), 0.5)
        return row

    monkeypatch.setattr("core.booking.service.load", reading_together)
    results = await asyncio.gather(
        cast.move(booking_id, "accepted", PROVIDER),
        cast.move(booking_id, "declined", PROVIDER),
        cast.move(booking_id, "expired", SYSTEM),
        return_exceptions=True,
    )
    won = [r for r in results if isinstance(r, dict)]
    lost = [r for r in results if isinstance(r, TransitionError)]
    assert len(won) == 1, results
    assert len(lost) == 2 and all(e.status_code == 409 for e in lost), results
    row = await cast.world.booking(booking_id)
    assert row["status"] == won[0]["status"]
    assert len(await cast.world.rows(BookingTransition, booking=booking_id)) == 2


def _payload(event: dict[str, Any]) -> dict[str, Any]:
    import json

    payload = event["payload"]
    return dict(json.loads(payload) if isinstance(payload, str) else payload)
