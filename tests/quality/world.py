"""Helpers of the quality tests. A served booking, ready to complain about: a customer, a
verified provider and a deep cleaning tomorrow at 10:00 that was accepted, travelled to,
checked in, done and completed.
Time is frozen (``tests.factories.NOW``); each step is given its moment."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
from PIL import Image

from core.booking.service import Actor, transition
from core.booking.states import CUSTOMER, PROVIDER, STAFF
from core.providers.media import Upload
from tests.factories import TOMORROW, World, at

START = at(TOMORROW, "10:00")
DONE_AT = START + timedelta(minutes=330)
"""Deep cleaning of 90 m2 takes 330 minutes."""


@dataclass
class Served:
    world: World
    customer: str
    provider: str
    provider_user: str
    booking: str

    @property
    def as_customer(self) -> Actor:
        return Actor(CUSTOMER, self.customer)

    @property
    def as_provider(self) -> Actor:
        return Actor(PROVIDER, self.provider_user, self.provider)


STAFF_ACTOR = Actor(STAFF, "00000000-0000-4000-8000-000000000001")


async def serve(
    world: World,
    *,
    provider: str | None = None,
    customer: str | None = None,
    start: datetime = START,
    late_minutes: int = 0,
) -> Served:
    """A booking taken through to ``completed``; check-in ``late_minutes`` after the start."""
    customer = customer or await world.customer()
    provider = provider or await world.provider()
    provider_user = await world.provider_user(provider)
    now = start - timedelta(days=1)
    booking = await world.book(customer, world.request(start, provider_id=provider), now=now)
    actor = Actor(PROVIDER, provider_user, provider)
    tenant, tid = world.tenant, world.tenant_id
    await transition(tenant, tid, booking, "accepted", actor, now=now)
    await transition(tenant, tid, booking, "en_route", actor, now=start - timedelta(minutes=30))
    arrived = start + timedelta(minutes=late_minutes)
    await transition(tenant, tid, booking, "arrived", actor, position=world.centre, now=arrived)
    await transition(tenant, tid, booking, "in_progress", actor, now=arrived)
    await transition(tenant, tid, booking, "completed", actor, now=arrived + timedelta(minutes=330))
    return Served(world, customer, provider, provider_user, booking)


def photo(fmt: str = "JPEG") -> Upload:
    """A real picture, as a phone would send it."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, fmt)
    return Upload(out.getvalue(), "image/jpeg" if fmt == "JPEG" else "image/png", "dirt.jpg")


def with_quality(world: World, **changes: Any) -> World:
    """The same tenant with its ``policies.quality`` block changed."""
    config = world.tenant.config
    quality = msgspec.structs.replace(config.policies.quality, **changes)
    policies = msgspec.structs.replace(config.policies, quality=quality)
    tenant = msgspec.structs.replace(config, policies=policies)
    import dataclasses

    world.tenant = dataclasses.replace(world.tenant, config=tenant)
    return world
