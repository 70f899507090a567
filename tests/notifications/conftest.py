"""A small town for the notification tests: Jiejia's customers and providers, bookings made
straight in the database (matching is not under test here) and moved through the real state
machine, and channels that record what they were given.

Time is real for what the database stamps (outbox rows are due "now"); the relay gets an
explicit ``now`` wherever the test looks ahead (reminders, back-off).
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from core.booking.schemas import BookingEvent
from core.notifications.channels import Message, NotificationChannel, SmsChannel
from core.settings import Settings
from core.tenancy.model import Tenant
from core.tenancy.schema import EmailSettings
from tests.hooks.host import GARDENING_VERTICAL, plugin, vertical_plugin

DEEP = "housekeeping.home_cleaning"
HOME = "上海市浦东新区锦绣路1001弄 5号楼1202室"
HOME_POINT = (31.2060, 121.5520)
DISTRICT = "浦东新区"


class Recorder(NotificationChannel):
    """A channel that keeps what it is given."""

    identifier = "recorder"

    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    def subjects(self) -> list[str]:
        return sorted(m.subject for m in self.sent)


class Broken(NotificationChannel):
    """A carrier that is down."""

    identifier = "broken"

    def __init__(self) -> None:
        self.tries = 0

    async def send(self, message: Message) -> None:
        self.tries += 1
        raise ConnectionError("carrier unreachable")


class VendorSms(SmsChannel):
    """An SMS vendor's adapter, as a plugin would ship it."""

    identifier = "vendor_sms"

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    async def send_sms(self, phone: str, text: str) -> None:
        self.texts.append((phone, text))


@dataclass
class Town:
    plugins: Any
    tenant: Tenant
    tenant_id: str
    settings: Settings
    recorder: Recorder
    broken: Broken
    sms: VendorSms
    observed: list[BookingEvent]
    garden_observed: list[BookingEvent]
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(101))

    def using(self, channels: list[str], email: EmailSettings | None = None) -> Town:
        """The same town, the tenant's YAML naming ``channels`` (and an ``email:`` block)."""
        config = msgspec.structs.replace(
            self.tenant.config, notification_channels=channels, email=email
        )
        tenant = Tenant(
            config=config,
            source=self.tenant.source,
            theme=self.tenant.theme,
            vertical_configs=self.tenant.vertical_configs,
        )
        return Town(**{**self.__dict__, "tenant": tenant})

    async def person(
        self, *, locale: str = "zh_CN", email: str = "", phone: bool = True, name: str = ""
    ) -> str:
        from core.accounts.tables import User
        from core.privacy import service as privacy
        from core.tenancy.scoped import tenant_transaction

        n = next(self._seq)
        tid = self.tenant_id
        number = f"+86137{n:08d}" if phone else ""
        async with tenant_transaction(tid):
            user = User(
                tenant=tid,
                kind="customer",
                phone_enc=privacy.seal(number, field="user.phone", tenant_id=tid)
                if number
                else None,
                phone_idx=privacy.lookup_key(number, purpose="phone", tenant_id=tid)
                if number
                else None,
                email_enc=privacy.seal(email, field="user.email", tenant_id=tid) if email else None,
                email_idx=privacy.lookup_key(email, purpose="email", tenant_id=tid)
                if email
                else None,
                name_enc=privacy.seal(name, field="user.name", tenant_id=tid) if name else None,
                locale=locale,
            )
            await user.save()
        return str(user.id)

    async def provider(
        self, name: str = "李秀英", *, locale: str = "zh_CN", email: str = ""
    ) -> tuple[str, str]:
        """(profile id, user id) of a provider."""
        from core.privacy import service as privacy
        from core.providers.tables import ProviderProfile
        from core.tenancy.scoped import tenant_transaction

        user_id = await self.person(locale=locale, email=email)
        async with tenant_transaction(self.tenant_id):
            profile = ProviderProfile(
                tenant=self.tenant_id,
                user=user_id,
                name_enc=privacy.seal(name, field="provider.name", tenant_id=self.tenant_id),
                gender="female",
                status="active",
            )
            await profile.save()
        return str(profile.id), user_id

    async def book(
        self, customer: str, provider: str, starts_at: datetime, *, hours: int = 3
    ) -> str:
        """A booking offered to ``provider``, with its outbox event, as ``create_booking``
        writes them."""
        from core.booking.tables import Booking, BookingTransition
        from core.db import write_transaction
        from core.notifications.outbox import enqueue
        from core.privacy import service as privacy
        from core.tenancy.scoped import tenant_transaction

        tid = self.tenant_id
        booking_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        ends_at = starts_at + timedelta(hours=hours)
        async with tenant_transaction(tid), write_transaction():
            await Booking.insert(
                Booking(
                    id=booking_id,
                    tenant=tid,
                    customer=customer,
                    provider=provider,
                    status="offered",
                    vertical="housekeeping",
                    items=[{"item": DEEP, "tier": "2br", "intake": {}, "addons": [], "quote": {}}],
                    total_fen=38800,
                    currency="CNY",
                    address_enc=privacy.seal(HOME, field="booking.address", tenant_id=tid),
                    point_enc=privacy.seal(
                        f"{HOME_POINT[0]:.6f},{HOME_POINT[1]:.6f}",
                        field="booking.point",
                        tenant_id=tid,
                    ),
                    district=DISTRICT,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    hold_start=starts_at - timedelta(minutes=30),
                    hold_end=ends_at + timedelta(minutes=30),
                    offer_expires_at=starts_at,
                    created_at=now,
                    updated_at=now,
                )
            )
            await BookingTransition.insert(
                BookingTransition(
                    tenant=tid,
                    booking=booking_id,
                    from_state="requested",
                    to_state="offered",
                    actor=customer,
                    actor_role="customer",
                    at=now,
                )
            )
            await enqueue(
                tid,
                "booking.transition",
                {
                    "booking_id": booking_id,
                    "from": "requested",
                    "to": "offered",
                    "actor_role": "customer",
                    "at": now.isoformat(),
                    "reason": "",
                },
            )
        return booking_id

    async def move(self, booking_id: str, target: str, role: str, user_id: str = "") -> None:
        """Through the one state machine, as the customer, the provider or the system."""
        from core.booking import service
        from core.providers.tables import ProviderProfile
        from core.tenancy.scoped import tenant_transaction

        async with tenant_transaction(self.tenant_id):
            provider_id = None
            if role == "provider":
                row = (
                    await ProviderProfile.select(ProviderProfile.id)
                    .where(ProviderProfile.user == user_id)
                    .first()
                )
                assert row is not None
                provider_id = str(row["id"])
            await service.transition(
                self.tenant,
                self.tenant_id,
                booking_id,
                target,
                service.Actor(role, user_id or None, provider_id),
                position=HOME_POINT if target == "arrived" else None,
            )

    async def relay(self, now: datetime | None = None, **options: Any) -> Any:
        from core.notifications.relay import relay_outbox

        return await relay_outbox(
            self.plugins,
            self.tenant,
            self.tenant_id,
            self.settings,
            now or datetime.now(UTC) + timedelta(seconds=1),
            **options,
        )

    async def outbox(self) -> list[dict[str, Any]]:
        from core.notifications.tables import OutboxEvent
        from core.tenancy.scoped import tenant_transaction

        async with tenant_transaction(self.tenant_id):
            return list(await OutboxEvent.select().where(OutboxEvent.tenant == self.tenant_id))

    async def deliveries(self) -> list[dict[str, Any]]:
        from core.notifications.tables import Delivery
        from core.tenancy.scoped import tenant_transaction

        async with tenant_transaction(self.tenant_id):
            return list(await Delivery.select().where(Delivery.tenant == self.tenant_id))

    async def redeliver_everything(self) -> None:
        """As if every event done had never been marked done (a worker died before it could)."""
        from core.db import write_transaction
        from core.notifications.tables import OutboxEvent
        from core.tenancy.scoped import tenant_transaction

        async with tenant_transaction(self.tenant_id), write_transaction():
            await OutboxEvent.update(
                {
                    OutboxEvent.processed_at: None,
                    OutboxEvent.available_at: datetime.now(UTC) - timedelta(minutes=1),
                }
            ).where((OutboxEvent.tenant == self.tenant_id) & OutboxEvent.processed_at.is_not_null())


def days_ahead(days: int, hour: int = 6) -> datetime:
    """``days`` from today at ``hour``:00 UTC (14:00 in Shanghai for 6)."""
    today = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return today.replace(hour=hour) + timedelta(days=days)


@pytest.fixture
async def town(db, settings, tenants) -> Town:  # type: ignore[no-untyped-def]
    from core.plugins import build_plugin_manager
    from core.privacy import service as privacy
    from core.tenancy.service import sync_tenant_rows, tenant_row_id

    privacy.configure(settings)
    await sync_tenant_rows(tenants)
    tenant = tenants.get("jiejia")
    tenant_id = await tenant_row_id("jiejia")
    assert tenant is not None and tenant_id is not None
    recorder, broken, sms = Recorder(), Broken(), VendorSms()
    observed: list[BookingEvent] = []
    garden_observed: list[BookingEvent] = []
    plugins = build_plugin_manager(
        extra=[
            plugin("test-channels", notification_channels=lambda tenant: [recorder, broken, sms]),
            plugin("test-audit", booking_event=lambda tenant, event: observed.append(event)),
            vertical_plugin(
                GARDENING_VERTICAL,
                booking_event=lambda tenant, event: garden_observed.append(event),
            ),
        ]
    )
    town = Town(
        plugins=plugins,
        tenant=tenant,
        tenant_id=tenant_id,
        settings=settings,
        recorder=recorder,
        broken=broken,
        sms=sms,
        observed=observed,
        garden_observed=garden_observed,
    )
    return town.using(["recorder"])
