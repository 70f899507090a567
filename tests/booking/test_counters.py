"""What a process keeps between requests is never older than the request's sign-in.

A booking takes the tenant's price versions and its providers' profiles from the process's
memory while the change counters the bearer token's lookup read with it
(``core.tenancy.counters``) have not moved. A price published, or a provider suspended, just
before a booking counts for that booking."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import TestClient

from core.catalog.price_lists import change_prices
from core.db import write_transaction
from core.tenancy.scoped import tenant_transaction
from core.verification.suspensions import suspend_skills
from tests.booking.world import DEEP, World, make_world

pytestmark = pytest.mark.db
DEEP_TIER = f"{DEEP}.deep"
DEEP_90 = {"item": DEEP, "tier": "deep", "intake": {"area_m2": 90}}


@dataclass
class Scene:
    world: World
    customer: str
    provider_id: str


@pytest.fixture
async def scene(db, settings, plugins, tenants) -> Scene:  # type: ignore[no-untyped-def]
    world = await make_world(plugins, tenants, settings)
    customer = await world.customer()
    provider = await world.provider("李秀英", centre=(31.2100, 121.5400))
    return Scene(world=world, customer=await world.token(customer), provider_id=provider)


@pytest.fixture
def api(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://jiejia.localhost") as client:
        yield client


def book(api: TestClient, scene: Scene, at: str, days: int = 1) -> Any:
    return api.post(
        "/api/v1/bookings",
        json={
            "items": [DEEP_90],
            "place": {"addressId": scene.world.home_id},
            "startsAt": scene.world.tomorrow_at(at, days=days).isoformat(),
            "providerId": scene.provider_id,
        },
        headers={"authorization": f"Bearer {scene.customer}"},
    )


async def test_a_price_published_between_two_bookings_is_charged_on_the_second(
    scene: Scene, api: TestClient
) -> None:
    first = book(api, scene, "09:00")
    assert first.status_code == 201, first.text
    assert first.json()["totalFen"] == 90 * 900

    await change_prices(
        scene.world.tenant, scene.world.catalog, {DEEP_TIER: 1000}, actor="cli", reason="season"
    )

    second = book(api, scene, "09:00", days=2)
    assert second.status_code == 201, second.text
    assert second.json()["totalFen"] == 90 * 1000


async def test_a_provider_suspended_between_two_bookings_cannot_take_the_second(
    scene: Scene, api: TestClient
) -> None:
    assert book(api, scene, "09:00").status_code == 201

    async with tenant_transaction(scene.world.tenant_id), write_transaction():
        await suspend_skills(scene.provider_id, [DEEP], "complaints under review")

    refused = book(api, scene, "09:00", days=2)
    assert refused.status_code == 409, refused.text
    assert refused.json()["problems"][0]["field"] == "providerId"


async def test_a_booking_reads_no_price_or_matching_version_when_nothing_changed(
    scene: Scene, api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The counters spare the reads: the second booking takes both from memory."""
    from core import rawsql

    assert book(api, scene, "09:00").status_code == 201
    tables: list[str] = []
    real_every, real_first = rawsql.every, rawsql.first

    async def every(table: Any, *args: Any, **kwargs: Any) -> Any:
        tables.append(table._meta.tablename)
        return await real_every(table, *args, **kwargs)

    async def first(table: Any, *args: Any, **kwargs: Any) -> Any:
        tables.append(table._meta.tablename)
        return await real_first(table, *args, **kwargs)

    monkeypatch.setattr(rawsql, "every", every)
    monkeypatch.setattr(rawsql, "first", first)

    assert book(api, scene, "09:00", days=2).status_code == 201
    assert "catalog_price_version" not in tables
    assert "matching_version" not in tables
