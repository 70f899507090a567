"""A day plan from real bookings: stored, pinned where the customer chose, urgent jobs slotted
in, people told when their arrival window moves."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from core.booking.tables import Booking
from core.dispatch import service
from core.dispatch.tables import DispatchStop
from core.notifications.tables import OutboxEvent
from core.providers.tables import ProviderProfile
from core.tenancy.scoped import scoped, tenant_transaction
from tests.factories import NOW, TOMORROW, World, at, east_of

pytestmark = pytest.mark.db
HOURS = {d: ["08:00", "20:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


async def plan(world: World, **kw: Any) -> dict[str, Any]:
    tools = service.adapters(world.plugins, world.tenant)
    return await service.plan_day(world.tenant, world.tenant_id, TOMORROW, tools, now=NOW, **kw)


async def book(world: World, hhmm: str, km_east: float, **kw: Any) -> str:
    customer = await world.customer()
    request = world.request(
        at(TOMORROW, hhmm), point=east_of(world.centre, km_east), intake={"area_m2": 30}, **kw
    )
    return await world.book(customer, request)


async def test_the_dispatcher_plans_tomorrow_and_every_job_gets_a_provider_and_a_time(
    jiejia: World,
) -> None:
    wang = await jiejia.provider(hours=HOURS)
    li = await jiejia.provider(hours=HOURS, base=east_of(jiejia.centre, 8))
    chosen = await book(jiejia, "09:00", 7, provider_id=li)
    open_jobs = [await book(jiejia, "10:00", 1), await book(jiejia, "15:00", 2)]

    stored = await plan(jiejia)

    by = {s["job"]: r["provider"] for r in stored["routes"] for s in r["stops"] if s["job"]}
    assert set(by) == {chosen, *open_jobs}
    assert by[chosen] == li
    assert {wang, li} >= set(by.values())
    assert stored["totals"]["routed"] == 3 and stored["totals"]["windows_kept"] == 3
    assert stored["unassigned"] == []
    async with tenant_transaction(jiejia.tenant_id):
        window = await service.booking_arrival(jiejia.tenant_id, chosen, NOW)
    assert window is not None and window[0] <= at(TOMORROW, "09:15") and window[1] > window[0]


async def test_a_job_nobody_can_do_is_listed_with_its_reason(jiejia: World) -> None:
    off = await jiejia.provider(hours=HOURS)
    await jiejia.provider(hours=HOURS)
    pinned = await book(jiejia, "10:00", 1, provider_id=off)
    fine = await book(jiejia, "11:00", 1)
    async with tenant_transaction(jiejia.tenant_id):  # then called in sick for the day
        await (
            scoped(ProviderProfile, jiejia.tenant_id)
            .update({ProviderProfile.days_off: [TOMORROW.isoformat()]})
            .where(ProviderProfile.id == off)
        )

    stored = await plan(jiejia)

    assert stored["unassigned"] == [{"job": pinned, "reason": "no_shift"}]
    assert [s["job"] for r in stored["routes"] for s in r["stops"] if s["job"]] == [fine]


async def test_an_urgent_job_is_slotted_in_and_customers_whose_time_moved_are_told(
    jiejia: World,
) -> None:
    await jiejia.provider(hours=HOURS)
    first = await book(jiejia, "09:00", 1)
    later = await book(jiejia, "16:00", 1)
    before = await plan(jiejia)
    # The customer of ``later`` was promised 14:00 by an older plan: the new plan moves it.
    async with tenant_transaction(jiejia.tenant_id):
        await (
            scoped(DispatchStop, jiejia.tenant_id)
            .update({DispatchStop.arrival_at: at(TOMORROW, "14:00")})
            .where(DispatchStop.booking == later)
        )
    urgent = await book(jiejia, "12:30", 2)
    async with tenant_transaction(jiejia.tenant_id):
        await (
            scoped(Booking, jiejia.tenant_id)
            .update({Booking.urgent: True})
            .where(Booking.id == urgent)
        )

    tools = service.adapters(jiejia.plugins, jiejia.tenant)
    after = await service.insert_urgent_booking(
        jiejia.tenant, jiejia.tenant_id, urgent, tools, now=at(TOMORROW, "11:00")
    )

    assert after["id"] != before["id"]
    jobs = [s["job"] for r in after["routes"] for s in r["stops"] if s["job"]]
    assert [j for j in jobs if j != urgent] == [first, later]
    assert urgent in jobs
    async with tenant_transaction(jiejia.tenant_id):
        events = (
            await scoped(OutboxEvent, jiejia.tenant_id)
            .select()
            .where(OutboxEvent.kind == "dispatch.arrival")
        )
        current = await service.stored_plan(jiejia.tenant_id, TOMORROW)
    payloads = [
        json.loads(e["payload"]) if isinstance(e["payload"], str) else e["payload"] for e in events
    ]
    assert [p["booking_id"] for p in payloads] == [later]
    assert current is not None and current["id"] == after["id"]


async def test_unknown_bookings_and_dates_are_refused_by_name(jiejia: World) -> None:
    tools = service.adapters(jiejia.plugins, jiejia.tenant)
    with pytest.raises(service.DispatchError) as caught:
        await service.insert_urgent_booking(jiejia.tenant, jiejia.tenant_id, "nope", tools)
    assert caught.value.field == "booking_id"
    with pytest.raises(service.DispatchError) as bad_day:
        service.parse_day("2026-13-01")
    assert bad_day.value.field == "date"
    assert NOW + timedelta(days=1) > NOW
