"""The worker's pass relays the outbox of every tenant and reports what it did."""

from __future__ import annotations

import pytest

from core.worker import run_pass
from tests.notifications.conftest import Town, days_ahead

pytestmark = pytest.mark.db


async def test_a_worker_pass_relays_the_outbox_and_reports_counts(town: Town, tenants):  # type: ignore[no-untyped-def]
    customer = await town.person()
    provider, provider_user = await town.provider()
    booking = await town.book(customer, provider, days_ahead(3))
    await town.move(booking, "accepted", "provider", provider_user)

    first = await run_pass(town.settings, tenants, town.plugins)
    again = await run_pass(town.settings, tenants, town.plugins)

    assert first["outbox_relayed"] == 2  # the offer and the acceptance
    assert first["notifications_sent"] == 2  # through Jiejia's console channel
    assert first["outbox_observed"] == 2
    assert first["outbox_reminders_scheduled"] == 2
    assert not any(key.startswith(("outbox_", "notifications_")) for key in again)
