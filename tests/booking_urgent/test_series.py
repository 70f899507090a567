"""Recurring bookings: weekly or fortnightly home cleaning with the same provider, as an
explicit opt-in series (jiejia: free cancellation until 12 h before, then ¥30)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from core.booking.moves import reschedule
from core.booking.series import (
    cancel_series,
    create_series,
    list_series,
    repeat_booking,
    view_series,
)
from core.booking.service import Actor, BookingError
from core.booking.states import CUSTOMER, TransitionError
from core.booking.tables import Booking, BookingSeries
from core.booking.urgent import request_urgent
from tests.factories import NOW, TOMORROW, World, at, east_of

pytestmark = pytest.mark.db
FIRST = at(TOMORROW, "14:00")
"""Wednesday 11 March 2026, 14:00 in Shanghai."""


async def series_of(world: World, customer: str, cadence: str, visits: int, **kw: Any) -> Any:
    return await create_series(
        world.plugins,
        world.tenant,
        world.tenant_id,
        world.catalog,
        customer,
        world.request(FIRST, **kw),
        cadence,
        visits,
        now=NOW,
    )


def what(row: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The services booked: item, tier, answers, add-ons (the quote carries its own time)."""
    items = json.loads(row["items"]) if isinstance(row["items"], str) else row["items"]
    return [(i["item"], i["tier"], i["intake"], i["addons"]) for i in items]


async def providers_of(world: World, booking_ids: list[str]) -> set[str]:
    return {str((await world.booking(b))["provider"]) for b in booking_ids}


@pytest.mark.parametrize(("cadence", "days"), [("weekly", 7), ("fortnightly", 14)])
async def test_visits_repeat_with_the_same_provider(jiejia: World, cadence: str, days: int) -> None:
    chosen = await jiejia.provider()
    await jiejia.provider(base=east_of(jiejia.centre, 1.0))
    customer = await jiejia.customer()

    result = await series_of(jiejia, customer, cadence, 4, provider_id=chosen)

    assert result.skipped == []
    starts = [(await jiejia.booking(b))["starts_at"] for b in result.booked]
    assert starts == [FIRST + timedelta(days=days * n) for n in range(4)]
    assert await providers_of(jiejia, result.booked) == {chosen}
    for booking_id in result.booked:
        row = await jiejia.booking(booking_id)
        assert (str(row["series"]), row["status"]) == (result.series_id, "offered")
    view = await view_series(jiejia.tenant_id, result.series_id, customer)
    assert (view.status, view.cadence, view.provider_id) == ("active", cadence, chosen)
    assert [v.booking_id for v in view.visits] == result.booked


async def test_a_visit_the_provider_cannot_make_is_reported_not_silently_dropped(
    jiejia: World,
) -> None:
    away = str(TOMORROW + timedelta(days=7))
    chosen = await jiejia.provider(days_off=[away])
    other = await jiejia.provider(base=east_of(jiejia.centre, 1.0))  # free that day
    customer = await jiejia.customer()

    result = await series_of(jiejia, customer, "weekly", 3, provider_id=chosen)

    assert len(result.booked) == 2
    assert [(s.starts_at, s.reason) for s in result.skipped] == [
        (FIRST + timedelta(days=7), "this provider cannot come then; choose another time")
    ]
    assert await providers_of(jiejia, result.booked) == {chosen}  # never someone else
    assert await jiejia.rows(Booking, provider=other) == []
    view = await view_series(jiejia.tenant_id, result.series_id, customer)
    assert [s.starts_at for s in view.skipped] == [FIRST + timedelta(days=7)]
    assert [v.starts_at for v in view.visits] == [FIRST, FIRST + timedelta(days=14)]


async def test_cancelling_the_series_stops_it_within_the_policy(jiejia: World) -> None:
    await jiejia.provider()
    customer = await jiejia.customer()
    result = await series_of(jiejia, customer, "weekly", 4)

    # Two hours before the first visit: it is inside the 12-hour notice, so it stays booked
    # (cancelling it alone would cost the late fee); the later three are cancelled free.
    late = FIRST - timedelta(hours=2)
    done = await cancel_series(jiejia.tenant, jiejia.tenant_id, result.series_id, customer, late)

    assert done.cancelled == result.booked[1:]
    assert [(k.booking_id, k.fee_fen) for k in done.kept] == [(result.booked[0], 3000)]
    assert done.series.status == "ended"
    statuses = [(await jiejia.booking(b))["status"] for b in result.booked]
    assert statuses == ["offered", "cancelled", "cancelled", "cancelled"]
    assert {(await jiejia.booking(b))["cancellation_fee_fen"] for b in result.booked} == {0}

    again = await cancel_series(jiejia.tenant, jiejia.tenant_id, result.series_id, customer, late)
    assert (again.cancelled, len(again.kept)) == ([], 1)

    listed = await list_series(jiejia.tenant_id, customer)
    assert [(s.id, s.status) for s in listed] == [(result.series_id, "ended")]


async def test_cancelling_a_series_early_cancels_every_visit_free(jiejia: World) -> None:
    await jiejia.provider()
    customer = await jiejia.customer()
    result = await series_of(jiejia, customer, "fortnightly", 3)

    done = await cancel_series(jiejia.tenant, jiejia.tenant_id, result.series_id, customer, NOW)

    assert (done.cancelled, done.kept) == (result.booked, [])


@pytest.mark.parametrize(
    ("cadence", "visits", "field", "reason"),
    [
        ("daily", 4, "cadence", "choose weekly or fortnightly"),
        ("weekly", 1, "visits", "a series has 2 to 26 visits"),
        ("weekly", 27, "visits", "a series has 2 to 26 visits"),
        (
            "fortnightly",
            10,
            "visits",
            "visits are booked at most 120 days ahead: choose fewer visits",
        ),
    ],
)
async def test_a_bad_cadence_or_visit_count_is_refused_naming_the_field(
    jiejia: World, cadence: str, visits: int, field: str, reason: str
) -> None:
    await jiejia.provider()
    customer = await jiejia.customer()

    with pytest.raises(BookingError) as refused:
        await series_of(jiejia, customer, cadence, visits)

    assert [(p.field, p.reason) for p in refused.value.problems] == [(field, reason)]
    assert refused.value.status_code == 400
    assert await jiejia.rows(Booking) == [] and await jiejia.rows(BookingSeries) == []


async def test_another_customers_series_is_not_found(jiejia: World) -> None:
    await jiejia.provider()
    owner, stranger = await jiejia.customer(), await jiejia.customer()
    result = await series_of(jiejia, owner, "weekly", 2)

    with pytest.raises(LookupError):
        await view_series(jiejia.tenant_id, result.series_id, stranger)
    with pytest.raises(LookupError):
        await cancel_series(jiejia.tenant, jiejia.tenant_id, result.series_id, stranger, NOW)
    with pytest.raises(LookupError):
        await repeat_booking(
            jiejia.plugins,
            jiejia.tenant,
            jiejia.tenant_id,
            jiejia.catalog,
            stranger,
            result.booked[0],
            "weekly",
            2,
            NOW,
        )
    assert (await view_series(jiejia.tenant_id, result.series_id, owner)).status == "active"
    assert await list_series(jiejia.tenant_id, stranger) == []


async def test_repeating_a_booking_makes_it_the_first_visit(jiejia: World) -> None:
    chosen = await jiejia.provider()
    customer = await jiejia.customer()
    first = await jiejia.book(customer, jiejia.request(FIRST, provider_id=chosen))

    async def repeat(booking_id: str) -> Any:
        return await repeat_booking(
            jiejia.plugins,
            jiejia.tenant,
            jiejia.tenant_id,
            jiejia.catalog,
            customer,
            booking_id,
            "fortnightly",
            3,
            NOW,
        )

    result = await repeat(first)

    assert result.booked[0] == first and len(result.booked) == 3
    second = await jiejia.booking(result.booked[1])
    original = await jiejia.booking(first)
    assert second["starts_at"] == FIRST + timedelta(days=14)
    assert (what(second), second["total_fen"], str(second["provider"])) == (
        what(original),
        original["total_fen"],
        chosen,
    )
    with pytest.raises(BookingError) as twice:
        await repeat(first)
    assert (twice.value.status_code, twice.value.problems[0].field) == (409, "booking_id")


async def test_an_urgent_job_cannot_be_repeated(wanjia: World) -> None:
    await wanjia.provider(["repair.leak_repair"])
    customer = await wanjia.customer()
    urgent = await request_urgent(
        wanjia.plugins,
        wanjia.tenant,
        wanjia.tenant_id,
        wanjia.catalog,
        customer,
        wanjia.request(NOW, item="repair.leak_repair", tier="pipe_joint", intake={}),
        NOW,
    )

    with pytest.raises(BookingError) as refused:
        await repeat_booking(
            wanjia.plugins,
            wanjia.tenant,
            wanjia.tenant_id,
            wanjia.catalog,
            customer,
            urgent,
            "weekly",
            2,
            NOW,
        )
    assert refused.value.problems[0].field == "booking_id"


async def test_the_customer_moves_one_visit_within_the_policy(jiejia: World) -> None:
    await jiejia.provider()
    customer = await jiejia.customer()
    result = await series_of(jiejia, customer, "weekly", 3)
    me = Actor(CUSTOMER, customer)
    second = result.booked[1]
    later = FIRST + timedelta(days=7, hours=-4)  # 10:00 instead of 14:00

    await reschedule(
        jiejia.plugins, jiejia.tenant, jiejia.tenant_id, jiejia.catalog, second, me, later, NOW
    )

    assert (await jiejia.booking(second))["starts_at"] == later
    view = await view_series(jiejia.tenant_id, result.series_id, customer)
    assert [v.starts_at for v in view.visits][1] == later
    with pytest.raises(TransitionError):  # inside the 12-hour notice: cancel instead
        await reschedule(
            jiejia.plugins,
            jiejia.tenant,
            jiejia.tenant_id,
            jiejia.catalog,
            result.booked[0],
            me,
            FIRST + timedelta(hours=1),
            FIRST - timedelta(hours=3),
        )
