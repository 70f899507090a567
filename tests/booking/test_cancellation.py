"""Cancellation policy from the tenant YAML: free until N hours before the start, then the
tenant's fee, and only for the customer.

Jiejia: free until 12 hours before, then ¥30 (3000 fen). Wanjia keeps the defaults: free until
24 hours before, no fee.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import msgspec
import pytest

from core.booking.service import Actor, cancellation_fee, transition
from core.booking.states import CUSTOMER, PROVIDER, STAFF, SYSTEM, TransitionError
from core.booking.tables import Booking, BookingTransition
from tests.factories import TOMORROW, World, at

pytestmark = pytest.mark.db

START = at(TOMORROW, "14:00")


async def booked(world: World, state: str = "offered") -> tuple[str, str, str]:
    """(booking, customer, provider) for a booking tomorrow at 14:00, moved on to ``state``."""
    provider = await world.provider()
    customer = await world.customer()
    booking = await world.book(customer, world.request(START, provider_id=provider))
    if state == "accepted":
        await transition(
            world.tenant,
            world.tenant_id,
            booking,
            "accepted",
            Actor(PROVIDER, provider_id=provider),
            now=START - timedelta(hours=20),
        )
    return booking, customer, provider


async def cancel(world: World, booking: str, actor: Actor, when: datetime) -> int:
    row = await transition(world.tenant, world.tenant_id, booking, "cancelled", actor, now=when)
    stored = await world.booking(booking)
    assert stored["status"] == row["status"] == "cancelled"
    assert stored["cancellation_fee_fen"] == row["cancellation_fee_fen"]
    return int(stored["cancellation_fee_fen"])


@pytest.mark.parametrize(
    ("before_start", "fee"),
    [
        (timedelta(hours=20), 0),
        (timedelta(hours=12, minutes=1), 0),
        (timedelta(hours=12), 0),
        (timedelta(hours=11, minutes=59), 3000),
        (timedelta(hours=1), 3000),
    ],
    ids=["20h", "12h01", "12h", "11h59", "1h"],
)
async def test_jiejia_free_until_12_hours_before_then_30_yuan(
    jiejia: World, before_start: timedelta, fee: int
) -> None:
    booking, customer, _ = await booked(jiejia, "accepted")
    assert (
        await cancel(jiejia, booking, Actor(CUSTOMER, user_id=customer), START - before_start)
        == fee
    )


async def test_an_offer_not_yet_accepted_costs_the_same(jiejia: World) -> None:
    booking, customer, _ = await booked(jiejia)
    assert (
        await cancel(jiejia, booking, Actor(CUSTOMER, user_id=customer), START - timedelta(hours=2))
        == 3000
    )


@pytest.mark.parametrize("role", [PROVIDER, STAFF])
async def test_only_the_customer_pays_a_late_cancellation(jiejia: World, role: str) -> None:
    booking, _, provider = await booked(jiejia, "accepted")
    actor = Actor(PROVIDER, provider_id=provider) if role == PROVIDER else Actor(role)
    assert await cancel(jiejia, booking, actor, START - timedelta(hours=1)) == 0


async def test_wanjia_keeps_the_default_policy_free_until_24_hours_and_no_fee(
    wanjia: World,
) -> None:
    booking, customer, _ = await booked(wanjia, "accepted")
    assert (
        await cancel(wanjia, booking, Actor(CUSTOMER, user_id=customer), START - timedelta(hours=1))
        == 0
    )
    assert wanjia.tenant.config.policies.cancellation.free_until_hours == 24


def test_the_fee_is_never_more_than_the_booking(tenants) -> None:  # type: ignore[no-untyped-def]
    jiejia = tenants.get("jiejia")
    policies = jiejia.config.policies
    steep = msgspec.structs.replace(
        policies,
        cancellation=msgspec.structs.replace(policies.cancellation, late_fee_fen=50_000),
    )
    tenant = dataclasses.replace(
        jiejia, config=msgspec.structs.replace(jiejia.config, policies=steep)
    )
    booking = {"status": "accepted", "starts_at": START, "total_fen": 12_900}
    assert cancellation_fee(tenant, booking, CUSTOMER, START - timedelta(hours=1)) == 12_900
    assert cancellation_fee(tenant, booking, CUSTOMER, START - timedelta(hours=13)) == 0
    assert cancellation_fee(tenant, booking, SYSTEM, START - timedelta(hours=1)) == 0
    declined = {**booking, "status": "declined"}
    assert cancellation_fee(tenant, declined, CUSTOMER, START - timedelta(hours=1)) == 0


async def test_once_on_the_way_the_customer_cannot_cancel_and_nothing_changes(
    jiejia: World,
) -> None:
    booking, customer, provider = await booked(jiejia, "accepted")
    await transition(
        jiejia.tenant,
        jiejia.tenant_id,
        booking,
        "en_route",
        Actor(PROVIDER, provider_id=provider),
        now=START - timedelta(minutes=40),
    )
    before = await jiejia.snapshot(booking)
    with pytest.raises(TransitionError) as caught:
        await cancel(
            jiejia, booking, Actor(CUSTOMER, user_id=customer), START - timedelta(minutes=30)
        )
    assert caught.value.status_code == 403
    assert await jiejia.snapshot(booking) == before


async def test_a_cancelled_booking_frees_the_time_and_is_audited(jiejia: World) -> None:
    booking, customer, provider = await booked(jiejia)
    when = START - timedelta(hours=15)
    await transition(
        jiejia.tenant,
        jiejia.tenant_id,
        booking,
        "cancelled",
        Actor(CUSTOMER, user_id=customer),
        reason="plans changed",
        now=when,
    )
    (audit,) = [
        t
        for t in await jiejia.rows(BookingTransition, booking=booking)
        if t["to_state"] == "cancelled"
    ]
    assert (audit["from_state"], audit["actor_role"], audit["reason"], audit["at"]) == (
        "offered",
        CUSTOMER,
        "plans changed",
        when,
    )
    again = await jiejia.book(
        await jiejia.customer(), jiejia.request(START, provider_id=provider), now=when
    )
    assert {str(b["id"]): b["status"] for b in await jiejia.rows(Booking)} == {
        booking: "cancelled",
        again: "offered",
    }
