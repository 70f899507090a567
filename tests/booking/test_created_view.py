"""The answer to createBooking is built from the values written, not read back: it must be
the very view a later getBooking gives (both engines), whatever time zone the request used."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from core.booking.creation import book
from core.booking.service import Actor
from core.booking.states import CUSTOMER
from core.booking.views import view_booking
from core.tenancy.scoped import tenant_transaction
from tests.factories import NOW, TOMORROW, World, at

pytestmark = pytest.mark.db

BEIJING = timezone(timedelta(hours=8))


@pytest.mark.parametrize("chosen", [True, False], ids=["chosen provider", "best available"])
async def test_the_view_of_a_new_booking_equals_the_view_read_back(
    jiejia: World, chosen: bool
) -> None:
    provider = await jiejia.provider()
    customer = await jiejia.customer()
    # Asked in Beijing time, with seconds and microseconds: stored and read back in UTC.
    starts = at(TOMORROW, "14:00").astimezone(BEIJING) + timedelta(microseconds=1)
    request = jiejia.request(starts, provider_id=provider if chosen else None)
    async with tenant_transaction(jiejia.tenant_id):
        created = await book(
            jiejia.plugins,
            jiejia.tenant,
            jiejia.tenant_id,
            jiejia.catalog,
            customer,
            request,
            now=NOW,
        )
        actors = [Actor(CUSTOMER, user_id=customer)]
        booking_id = str(created.row["id"])
        from_written = await view_booking(
            jiejia.tenant, jiejia.tenant_id, booking_id, actors, now=NOW, written=created
        )
        read_back = await view_booking(jiejia.tenant, jiejia.tenant_id, booking_id, actors, now=NOW)
    assert from_written == read_back
    assert from_written.starts_at.utcoffset() == timedelta(0)
