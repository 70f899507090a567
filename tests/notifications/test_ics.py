"""``/bookings/<id>/calendar.ics``: the booking in the customer's or provider's calendar."""

from __future__ import annotations

from datetime import UTC

import pytest
from icalendar import Calendar

from core.accounts.signin import start_session
from tests.notifications.conftest import DISTRICT, HOME, Town, days_ahead

pytestmark = pytest.mark.db


def calendar_of(client, booking: str, session: str = "", host: str = "jiejia.localhost"):  # type: ignore[no-untyped-def]
    client.cookies.clear()
    if session:
        client.cookies.set("doorstep_session", session)
    return client.get(
        f"/bookings/{booking}/calendar.ics", headers={"host": host}, follow_redirects=False
    )


def event_of(response) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    return event


async def test_the_customer_and_the_provider_get_the_booking_as_a_calendar_event(
    town: Town, client
):
    customer = await town.person()
    provider, provider_user = await town.provider()
    starts = days_ahead(3)
    booking = await town.book(customer, provider, starts)
    as_customer = await start_session(customer, town.tenant_id)
    as_provider = await start_session(provider_user, town.tenant_id)

    offered = event_of(calendar_of(client, booking, as_provider))

    assert str(offered["LOCATION"]) == DISTRICT  # no address before the provider accepts
    assert str(offered["STATUS"]) == "TENTATIVE"

    await town.move(booking, "accepted", "provider", provider_user)
    for_provider = event_of(calendar_of(client, booking, as_provider))
    for_customer = event_of(calendar_of(client, booking, as_customer))

    assert str(for_provider["LOCATION"]) == HOME
    assert str(for_customer["LOCATION"]) == DISTRICT
    assert str(for_customer["SUMMARY"]) == "洁家到家: 全屋保洁"
    start = for_customer.decoded("DTSTART")
    assert start == starts and start.utcoffset().total_seconds() == 0
    assert for_customer.decoded("DTEND") == starts.replace(hour=starts.hour + 3)
    assert str(for_customer["UID"]) == f"booking-{booking}@jiejia.localhost"
    assert str(for_customer["UID"]) == str(for_provider["UID"]) == str(offered["UID"])
    assert int(for_customer["SEQUENCE"]) > int(offered["SEQUENCE"])
    assert str(for_customer["STATUS"]) == "CONFIRMED"
    assert str(for_customer["URL"]).endswith(f"/bookings/{booking}")
    assert str(for_provider["URL"]).endswith(f"/provider/jobs/{booking}")
    assert (
        "DTSTART:" + starts.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        in calendar_of(client, booking, as_customer).text
    )

    await town.move(booking, "cancelled", "customer", customer)
    cancelled = event_of(calendar_of(client, booking, as_provider))

    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert str(cancelled["LOCATION"]) == DISTRICT  # no longer active: no address


async def test_nobody_else_learns_the_booking_exists(town: Town, client, tenants):
    from core.tenancy.service import tenant_row_id

    customer = await town.person()
    provider, provider_user = await town.provider()
    booking = await town.book(customer, provider, days_ahead(3))
    await town.move(booking, "accepted", "provider", provider_user)
    other_customer = await town.person()
    _, other_provider = await town.provider("张伟")
    wanjia_id = await tenant_row_id("wanjia")
    wanjia = Town(**{**town.__dict__, "tenant": tenants.get("wanjia"), "tenant_id": wanjia_id})
    wanjia_customer = await wanjia.person()

    for session in (
        await start_session(other_customer, town.tenant_id),
        await start_session(other_provider, town.tenant_id),
    ):
        assert calendar_of(client, booking, session).status_code == 404
    on_wanjia = await start_session(wanjia_customer, wanjia_id)
    assert calendar_of(client, booking, on_wanjia, host="wanjia.localhost").status_code == 404
    unknown = "5f0c6f0e-1111-4a4a-8b8b-123456789abc"
    assert (
        calendar_of(client, unknown, await start_session(customer, town.tenant_id)).status_code
        == 404
    )

    anonymous = calendar_of(client, booking)

    assert anonymous.status_code in {302, 303}
    assert anonymous.headers["location"].startswith("/signin?next=")
