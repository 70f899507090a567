"""When a day plan moves an arrival (dispatch), the customer and the provider are told the new
window, each in their own words, once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.db import write_transaction
from core.notifications.outbox import enqueue
from core.tenancy.scoped import tenant_transaction
from tests.notifications.conftest import HOME, Town, days_ahead

pytestmark = pytest.mark.db


async def test_a_moved_arrival_window_reaches_both_sides_once(town: Town) -> None:
    customer = await town.person()
    provider, provider_user = await town.provider()
    starts = days_ahead(2)
    booking = await town.book(customer, provider, starts)
    await town.move(booking, "accepted", "provider", provider_user)
    await town.relay()
    before = len(town.recorder.sent)

    async with tenant_transaction(town.tenant_id), write_transaction():
        await enqueue(
            town.tenant_id,
            "dispatch.arrival",
            {
                "booking_id": booking,
                "window_start": (starts + timedelta(minutes=40)).isoformat(),
                "window_end": (starts + timedelta(minutes=100)).isoformat(),
            },
        )
    await town.relay()
    await town.relay()

    moved = town.recorder.sent[before:]
    assert len(moved) == 2  # one each; the second relay pass sends nothing again
    # Booked for 14:00 (Shanghai), now told 14:40-15:40.
    assert all("上门时间调整：" in m.subject and "14:40-15:40" in m.subject for m in moved)
    to_customer = next(m for m in moved if "将改为在" in m.body)
    to_provider = next(m for m in moved if "您的路线已调整" in m.body)
    assert "李阿姨" in to_customer.body  # the public display name (surname + title)
    assert to_customer.to != to_provider.to
    assert HOME not in to_customer.body
