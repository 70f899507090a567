"""A job under way for the safety tests: Jiejia, a customer and a verified provider on a
booking for tomorrow 10:00, a safety officer, channels that record (and one that is down).

Time is frozen: every call gets an explicit ``now`` derived from the booking's start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
import pytest

from core.notifications.channels import Message, NotificationChannel
from core.tenancy.model import Tenant
from tests.factories import TOMORROW, World, at, east_of, make_world
from tests.hooks.host import plugin

START = at(TOMORROW, "10:00")
OFFICER_EMAIL = "safety.officer@jiejia.test"
CUSTOMER_PHONE = "+8613812340001"
PROVIDER_PHONE = "+8613912340002"
CONTACT_PHONE = "13700001111"


class Recorder(NotificationChannel):
    identifier = "recorder"

    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    def to(self, address: str) -> list[Message]:
        return [m for m in self.sent if m.to == address]


class Broken(NotificationChannel):
    """A carrier that is down."""

    identifier = "broken"

    def __init__(self) -> None:
        self.tries = 0

    async def send(self, message: Message) -> None:
        self.tries += 1
        raise ConnectionError("carrier unreachable")


@dataclass
class Scene:
    world: World
    recorder: Recorder
    broken: Broken
    customer: str = ""
    provider: str = ""
    provider_user: str = ""
    officer: str = ""
    booking: str = ""

    @property
    def tenant(self) -> Tenant:
        return self.world.tenant

    @property
    def tenant_id(self) -> str:
        return self.world.tenant_id

    @property
    def plugins(self) -> Any:
        return self.world.plugins

    @property
    def home(self) -> tuple[float, float]:
        return self.world.centre

    def using(self, channels: list[str], **safety: Any) -> Scene:
        """The same scene, the tenant's YAML naming ``channels`` and safety policy values."""
        config = self.tenant.config
        policies = msgspec.structs.replace(
            config.policies,
            safety=msgspec.structs.replace(config.policies.safety, **safety),
        )
        config = msgspec.structs.replace(config, notification_channels=channels, policies=policies)
        tenant = Tenant(
            config=config,
            source=self.tenant.source,
            theme=self.tenant.theme,
            vertical_configs=self.tenant.vertical_configs,
        )
        world = World(self.world.plugins, tenant, self.world.tenant_id, self.world.catalog)
        return Scene(**{**self.__dict__, "world": world})

    def away(self, km: float) -> tuple[float, float]:
        return east_of(self.home, km)

    async def move(self, target: str, now: datetime, position: Any = None) -> None:
        from core.booking import service
        from core.tenancy.scoped import tenant_transaction

        role = "customer" if target == "cancelled" else "provider"
        actor = (
            service.Actor("provider", self.provider_user, self.provider)
            if role == "provider"
            else service.Actor("customer", self.customer)
        )
        async with tenant_transaction(self.tenant_id):
            await service.transition(
                self.tenant,
                self.tenant_id,
                self.booking,
                target,
                actor,
                position=position or (self.home if target == "arrived" else None),
                now=now,
            )

    async def report(self, point: tuple[float, float], now: datetime) -> Any:
        from core.booking.service import Actor
        from core.safety import trail
        from core.tenancy.scoped import tenant_transaction

        async with tenant_transaction(self.tenant_id):
            return await trail.report_position(
                self.tenant,
                self.tenant_id,
                self.booking,
                Actor("provider", self.provider_user, self.provider),
                *point,
                now=now,
            )

    async def sos(self, role: str = "provider", now: datetime = START, **kwargs: Any) -> str:
        from core.safety import sos
        from core.tenancy.scoped import tenant_transaction

        raiser = (
            sos.Raiser(self.provider_user, "provider", self.provider)
            if role == "provider"
            else sos.Raiser(self.customer, "customer")
        )
        kwargs.setdefault("booking_id", self.booking)
        async with tenant_transaction(self.tenant_id):
            return await sos.raise_sos(
                self.plugins, self.tenant, self.tenant_id, raiser, now=now, **kwargs
            )

    async def worker(self, now: datetime) -> dict[str, int]:
        from core.safety.jobs import run_safety_jobs

        return await run_safety_jobs(self.plugins, self.tenant, self.tenant_id, now)

    async def rows(self, table: Any, **where: Any) -> list[dict[str, Any]]:
        return await self.world.rows(table, **where)

    async def incident(self, incident_id: str) -> dict[str, Any]:
        from core.safety.tables import Incident

        (row,) = await self.rows(Incident, id=incident_id)
        return row


async def _with_phone(world: World, user_id: str, phone: str, name: str) -> None:
    from core.accounts.tables import User
    from core.privacy import service as privacy
    from core.tenancy.scoped import tenant_transaction

    tid = world.tenant_id
    async with tenant_transaction(tid):
        await User.update(
            {
                User.phone_enc: privacy.seal(phone, field="user.phone", tenant_id=tid),
                User.name_enc: privacy.seal(name, field="user.name", tenant_id=tid),
            }
        ).where((User.id == user_id) & (User.tenant == tid))


@pytest.fixture
async def scene(db, tenants, settings) -> Scene:  # type: ignore[no-untyped-def]
    from core.accounts.passwords import create_staff
    from core.plugins import build_plugin_manager
    from core.safety import contacts

    recorder, broken = Recorder(), Broken()
    plugins = build_plugin_manager(
        extra=[
            plugin("test-safety-channels", notification_channels=lambda tenant: [broken, recorder])
        ]
    )
    world = await make_world(plugins, tenants, settings, "jiejia")
    s = Scene(world, recorder, broken)
    s.customer = await world.customer()
    await _with_phone(world, s.customer, CUSTOMER_PHONE, "王小明")
    s.provider = await world.provider()
    s.provider_user = await world.provider_user(s.provider)
    await _with_phone(world, s.provider_user, PROVIDER_PHONE, "李秀英")
    s.officer = await create_staff(
        world.tenant_id, OFFICER_EMAIL, "correct horse battery", ["safety_officer"], "安全员"
    )
    s.booking = await world.book(s.customer, world.request(START, provider_id=s.provider))
    await contacts.add_contact(world.tenant_id, s.provider_user, "李大明", CONTACT_PHONE, "兄弟")
    return s.using(["recorder"])


ACCEPTED_AT = START - timedelta(hours=12)
EN_ROUTE_AT = START - timedelta(minutes=40)
