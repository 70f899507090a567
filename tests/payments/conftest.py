"""A jiejia booking accepted by its provider, ready to pay, with fresh stand-in gateway keys
for every test (nothing signed in one test verifies in another)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import TestClient

from core.payments.standin.gateway import StandinGateway, use_fresh_keys
from tests.factories import TOMORROW, World, at, make_world

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
HOST = "jiejia.localhost"


@dataclass
class Shop:
    world: World
    gateway: StandinGateway
    customer: str
    provider: str
    provider_user: str
    booking: str
    total_fen: int
    session: str = ""
    """The customer's session cookie."""
    token: str = ""
    """The customer's API token."""

    @property
    def tenant_id(self) -> str:
        return self.world.tenant_id


@pytest.fixture
def gateway(settings: Any) -> StandinGateway:
    return use_fresh_keys(settings.var_dir)


@pytest.fixture
async def shop(
    db: None, plugins: Any, tenants: Any, settings: Any, gateway: StandinGateway
) -> Shop:
    from core.accounts.signin import issue_token, start_session
    from core.booking.tables import Booking
    from core.tenancy.scoped import tenant_transaction

    world = await make_world(plugins, tenants, settings, "jiejia")
    customer = await world.customer()
    provider = await world.provider()
    booking = await world.book(customer, world.request(at(TOMORROW, "10:00"), provider_id=provider))
    async with tenant_transaction(world.tenant_id):
        await Booking.update({Booking.status: "accepted"}).where(Booking.id == booking)
    row = await world.booking(booking)
    return Shop(
        world=world,
        gateway=gateway,
        customer=customer,
        provider=provider,
        provider_user=await world.provider_user(provider),
        booking=booking,
        total_fen=int(row["total_fen"]),
        session=await start_session(customer, world.tenant_id),
        token=await issue_token(customer, world.tenant_id, label="test"),
    )


@pytest.fixture
def browser(app: Any, shop: Shop) -> Iterator[TestClient]:
    """The customer's browser on jiejia, signed in."""
    with TestClient(app, base_url=f"http://{HOST}") as client:
        client.cookies.set("doorstep_session", shop.session, domain=HOST)
        yield client


def post_form(
    client: TestClient, page: str, action: str, data: dict[str, str] | None = None
) -> Any:
    """Open ``page``, then post its form to ``action`` with the page's CSRF token."""
    opened = client.get(page)
    found = CSRF.search(opened.text)
    assert found, f"{page} has no form ({opened.status_code})"
    return client.post(
        action, data={"_csrf_token": found.group(1), **(data or {})}, follow_redirects=False
    )
