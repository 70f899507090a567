"""The outbox relay: who hears of what, once, whatever the workers do."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tests.hooks.host import plugin
from tests.notifications.conftest import DISTRICT, HOME, Town, days_ahead

pytestmark = pytest.mark.db


def templates_sent(town: Town, deliveries: list[dict]) -> Counter[tuple[str, str]]:
    return Counter((str(d["recipient"]), d["template"]) for d in deliveries)


async def test_an_accepted_booking_tells_both_sides_once_even_when_relayed_again(town: Town):
    customer = await town.person(locale="zh_CN")
    provider, provider_user = await town.provider("李秀英")
    booking = await town.book(customer, provider, days_ahead(3))
    await town.move(booking, "accepted", "provider", provider_user)

    first = await town.relay()
    second = await town.relay()
    await town.redeliver_everything()  # a worker died before marking the events done
    third = await town.relay()

    sent = templates_sent(town, await town.deliveries())
    assert sent[(customer, "booking_confirmed")] == 1
    assert sent[(provider_user, "job_confirmed")] == 1
    # the offer was overtaken by the acceptance: nobody is asked to accept a taken job
    assert sent[(provider_user, "job_offered")] == 0
    assert len(town.recorder.sent) == 2
    assert first.sent == 2 and second.sent == 0 and third.sent == 0
    assert third.already_sent == 2
    confirmed = next(m for m in town.recorder.sent if "预约成功" in m.subject)
    assert confirmed.subject.startswith("【洁家到家】预约成功：全屋保洁")
    assert "李阿姨已接单" in confirmed.body
    assert f"/bookings/{booking}/calendar.ics" in confirmed.body


async def test_two_relays_at_once_send_every_message_once(town: Town):
    customer = await town.person()
    provider, provider_user = await town.provider()
    bookings = [await town.book(customer, provider, days_ahead(day)) for day in (2, 3, 4, 5, 6)]
    for booking in bookings:
        await town.move(booking, "accepted", "provider", provider_user)

    reports = await asyncio.gather(town.relay(batch_size=1), town.relay(batch_size=1))

    assert sum(r.relayed for r in reports) == 10  # five offers, five acceptances
    assert all(r.relayed for r in reports)  # both workers had a share
    deliveries = await town.deliveries()
    sent = templates_sent(town, deliveries)
    assert sent[(customer, "booking_confirmed")] == 5
    assert sent[(provider_user, "job_confirmed")] == 5
    assert len(town.recorder.sent) == 10
    assert len({(d["event_id"], d["recipient"], d["template"]) for d in deliveries}) == len(
        deliveries
    )
    assert all(
        e["processed_at"] is not None
        for e in await town.outbox()
        if e["kind"] != "booking.reminder"
    )


async def test_the_offer_names_the_district_and_the_address_comes_with_acceptance(town: Town):
    customer = await town.person()
    provider, provider_user = await town.provider()
    booking = await town.book(customer, provider, days_ahead(3))

    await town.relay()

    offer = next(m for m in town.recorder.sent if "新订单" in m.subject)
    assert DISTRICT in offer.body and "¥388.00" in offer.body
    assert HOME not in offer.body and "锦绣路" not in offer.body
    assert offer.body.endswith(f"http://jiejia.localhost:8000/provider/jobs/{booking}")
    asked = next(m for m in town.recorder.sent if "已收到您的预约" in m.subject)
    assert "李阿姨" in asked.body

    await town.move(booking, "accepted", "provider", provider_user)
    await town.relay()

    job = next(m for m in town.recorder.sent if "接单成功" in m.subject)
    assert f"服务地址：{HOME}" in job.body
    to_customer = next(m for m in town.recorder.sent if "预约成功" in m.subject)
    assert HOME not in to_customer.body and "李秀英" not in to_customer.body


async def test_on_the_way_and_completion(town: Town):
    customer = await town.person(locale="en")
    provider, provider_user = await town.provider("李秀英")
    booking = await town.book(customer, provider, days_ahead(3))
    await town.move(booking, "accepted", "provider", provider_user)
    await town.relay()
    town.recorder.sent.clear()

    await town.move(booking, "en_route", "provider", provider_user)
    await town.relay()

    assert town.recorder.subjects() == ["[Jiejia Home] 李阿姨 is on the way"]

    for step in ("arrived", "in_progress", "completed"):
        await town.move(booking, step, "provider", provider_user)
    await town.relay()

    assert town.recorder.subjects() == [
        "[Jiejia Home] Job done: Whole-home cleaning",
        "[Jiejia Home] 李阿姨 is on the way",
        "【洁家到家】订单已完成：全屋保洁",
    ]
    done = next(m for m in town.recorder.sent if "Job done" in m.subject)
    assert "How did it go?" in done.body and f"/bookings/{booking}" in done.body


async def test_a_cancellation_is_told_to_the_other_side(town: Town):
    customer = await town.person()
    provider, provider_user = await town.provider()
    by_customer = await town.book(customer, provider, days_ahead(3))
    by_provider = await town.book(customer, provider, days_ahead(5))
    for booking in (by_customer, by_provider):
        await town.move(booking, "accepted", "provider", provider_user)
    await town.relay()
    town.recorder.sent.clear()

    await town.move(by_customer, "cancelled", "customer", customer)
    await town.move(by_provider, "cancelled", "provider", provider_user)
    await town.relay()

    sent = templates_sent(town, await town.deliveries())
    assert sent[(provider_user, "job_cancelled")] == 1
    assert sent[(customer, "booking_cancelled")] == 1
    assert sent[(customer, "job_cancelled")] == 0
    assert len(town.recorder.sent) == 2


async def test_reminders_go_out_24_hours_and_1_hour_before(town: Town):
    customer = await town.person()
    provider, provider_user = await town.provider()
    starts = days_ahead(3)
    booking = await town.book(customer, provider, starts)
    await town.move(booking, "accepted", "provider", provider_user)

    accepted = await town.relay()
    town.recorder.sent.clear()

    assert accepted.reminders_scheduled == 2
    assert (await town.relay(now=starts - timedelta(hours=24, minutes=1))).sent == 0

    day_before = await town.relay(now=starts - timedelta(hours=23, minutes=59))

    assert day_before.sent == 2
    assert all(s.startswith("【洁家到家】服务提醒：全屋保洁，") for s in town.recorder.subjects())
    assert all(s.endswith(" 14:00") for s in town.recorder.subjects())
    town.recorder.sent.clear()

    hour_before = await town.relay(now=starts - timedelta(minutes=59))
    again = await town.relay(now=starts - timedelta(minutes=58))

    assert hour_before.sent == 2 and again.sent == 0
    assert town.recorder.subjects() == ["【洁家到家】约 1 小时后开始：全屋保洁"] * 2
    job = next(m for m in town.recorder.sent if m.body.startswith("您的订单"))
    assert HOME in job.body


async def test_no_reminder_for_a_cancelled_booking(town: Town):
    customer = await town.person()
    provider, provider_user = await town.provider()
    starts = days_ahead(3)
    booking = await town.book(customer, provider, starts)
    await town.move(booking, "accepted", "provider", provider_user)
    await town.relay()
    await town.move(booking, "cancelled", "customer", customer)
    await town.relay()
    town.recorder.sent.clear()

    day_before = await town.relay(now=starts - timedelta(hours=23))
    hour_before = await town.relay(now=starts - timedelta(minutes=30))

    assert day_before.sent == hour_before.sent == 0
    assert town.recorder.sent == []
    reminders = [e for e in await town.outbox() if e["kind"] == "booking.reminder"]
    assert len(reminders) == 2
    assert all(e["processed_at"] is not None and e["last_error"] == "" for e in reminders)


async def test_a_booking_accepted_less_than_a_day_ahead_gets_only_the_hour_reminder(town: Town):
    customer = await town.person()
    provider, provider_user = await town.provider()
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=5)
    booking = await town.book(customer, provider, starts)
    await town.move(booking, "accepted", "provider", provider_user)

    report = await town.relay()

    assert report.reminders_scheduled == 1
    [reminder] = [e for e in await town.outbox() if e["kind"] == "booking.reminder"]
    assert reminder["available_at"] == starts - timedelta(hours=1)


async def test_a_failing_channel_falls_back_to_the_next(town: Town):
    town = town.using(["broken", "recorder"])
    customer = await town.person()
    provider, provider_user = await town.provider()
    booking = await town.book(customer, provider, days_ahead(3))
    await town.move(booking, "accepted", "provider", provider_user)

    report = await town.relay()

    assert report.sent == 2 and report.retried == 0
    assert town.broken.tries == 2
    assert len(town.recorder.sent) == 2
    assert {d["channel"] for d in await town.deliveries() if d["template"] != "booking_event"} == {
        "recorder"
    }


async def test_retries_back_off_then_give_up_keeping_the_error(town: Town):
    town = town.using(["broken"])
    customer = await town.person(email="wang@example.com")
    provider, _ = await town.provider()
    booking = await town.book(customer, provider, days_ahead(3))
    now = datetime.now(UTC) + timedelta(seconds=1)

    first = await town.relay(now=now, max_attempts=3)
    [event] = await town.outbox()

    assert first.retried == 1 and first.sent == 0
    assert event["attempts"] == 1 and event["processed_at"] is None
    assert event["available_at"] == now + timedelta(seconds=30)
    assert "broken: ConnectionError" in event["last_error"]
    assert "wang@example.com" not in event["last_error"] and "+86" not in event["last_error"]
    assert (await town.relay(now=now + timedelta(seconds=29), max_attempts=3)).retried == 0

    second = await town.relay(now=now + timedelta(seconds=31), max_attempts=3)
    [event] = await town.outbox()

    assert second.retried == 1
    assert event["attempts"] == 2
    assert event["available_at"] == now + timedelta(seconds=31 + 60)

    third = await town.relay(now=now + timedelta(minutes=5), max_attempts=3)
    [event] = await town.outbox()

    assert third.gave_up == 1
    assert event["attempts"] == 3 and event["processed_at"] is not None
    assert event["last_error"].startswith("gave up after 3 attempts: ")
    assert "broken: ConnectionError" in event["last_error"]
    assert (await town.relay(now=now + timedelta(hours=2), max_attempts=3)).relayed == 0
    # the plugins heard of the event once, whatever the channels did
    assert [e.booking_id for e in town.observed] == [booking]


async def test_plugins_observe_each_event_once_for_enabled_verticals(town: Town):
    customer = await town.person()
    provider, provider_user = await town.provider()
    booking = await town.book(customer, provider, days_ahead(3))
    await town.move(booking, "accepted", "provider", provider_user)
    await town.move(booking, "en_route", "provider", provider_user)

    await town.relay()
    await town.redeliver_everything()
    await town.relay()

    assert [(e.from_state, e.to_state, e.actor_role) for e in town.observed] == [
        ("requested", "offered", "customer"),
        ("offered", "accepted", "provider"),
        ("accepted", "en_route", "provider"),
    ]
    assert {e.booking_id for e in town.observed} == {booking}
    assert {e.vertical for e in town.observed} == {"housekeeping"}
    assert len({e.event_id for e in town.observed}) == 3
    assert town.garden_observed == []  # gardening is not enabled for Jiejia


async def test_an_sms_adapter_gets_the_phone_and_a_person_it_cannot_reach_is_skipped(
    town: Town,
):
    town = town.using(["vendor_sms"])
    customer = await town.person(email="only@example.com", phone=False)
    provider, provider_user = await town.provider()
    booking = await town.book(customer, provider, days_ahead(3))
    await town.move(booking, "accepted", "provider", provider_user)

    report = await town.relay()

    assert report.retried == 0 and report.sent == 1  # the customer has no phone: skipped
    [(phone, text)] = town.sms.texts
    assert phone.startswith("+86137") and text.startswith("您已接下")


async def test_a_moved_booking_tells_the_other_side_and_reminds_at_the_new_time(town: Town):
    customer = await town.person()
    provider, provider_user = await town.provider()
    before = days_ahead(3)
    booking = await town.book(customer, provider, before)
    await town.move(booking, "accepted", "provider", provider_user)
    await town.relay()
    town.recorder.sent.clear()
    after = days_ahead(6, hour=2)

    await reschedule_as_the_service_does(town, booking, customer, before, after)
    moved = await town.relay()

    assert moved.reminders_scheduled == 2
    [told] = town.recorder.sent
    assert told.subject.startswith("【洁家到家】时间已变更：全屋保洁，") and told.subject.endswith(
        " 10:00"
    )
    assert "/calendar.ics" in told.body
    town.recorder.sent.clear()

    assert (await town.relay(now=before - timedelta(minutes=30))).sent == 0  # the old time
    assert (await town.relay(now=after - timedelta(hours=23))).sent == 2
    assert (await town.relay(now=after - timedelta(minutes=30))).sent == 2


async def reschedule_as_the_service_does(
    town: Town, booking: str, customer: str, before: datetime, after: datetime
) -> None:
    """``booking.moves.reschedule`` (it needs a matchable provider): the new times and a
    same-state transition event, in one transaction."""
    from core.booking.tables import Booking
    from core.db import write_transaction
    from core.notifications.outbox import enqueue
    from core.tenancy.scoped import tenant_transaction

    async with tenant_transaction(town.tenant_id), write_transaction():
        await Booking.update(
            {
                Booking.starts_at: after,
                Booking.ends_at: after + timedelta(hours=3),
                Booking.hold_start: after - timedelta(minutes=30),
                Booking.hold_end: after + timedelta(hours=3, minutes=30),
                Booking.version: Booking.version + 1,
            }
        ).where((Booking.id == booking) & (Booking.tenant == town.tenant_id))
        await enqueue(
            town.tenant_id,
            "booking.transition",
            {
                "booking_id": booking,
                "from": "accepted",
                "to": "accepted",
                "actor_role": "customer",
                "at": datetime.now(UTC).isoformat(),
                "reason": f"rescheduled from {before.isoformat()}",
            },
        )


async def test_a_failing_observer_is_retried_without_holding_back_the_messages(town: Town):
    calls: list[str] = []

    def flaky_observer(tenant, event) -> None:  # type: ignore[no-untyped-def]
        calls.append(event.event_id)
        if len(calls) == 1:
            raise RuntimeError("the plugin's own store is down")

    town.plugins.register(plugin("test-flaky", booking_event=flaky_observer))
    customer = await town.person()
    provider, _ = await town.provider()
    await town.book(customer, provider, days_ahead(3))
    now = datetime.now(UTC) + timedelta(seconds=1)

    first = await town.relay(now=now)
    [event] = await town.outbox()

    assert first.sent == 2 and first.retried == 1  # the customer and the provider heard
    assert event["last_error"] == "booking_event observer: RuntimeError"

    second = await town.relay(now=now + timedelta(seconds=31))

    assert second.relayed == 1 and second.sent == 0 and second.already_sent == 2
    assert calls == [str(event["id"])] * 2
