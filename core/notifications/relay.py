"""The outbox relay: turns committed events into plugin calls and messages, at least once.

One pass per tenant (``relay_outbox``):

1. **Claim** a small batch of due events (``available_at <= now``, not processed). The claim
   moves ``available_at`` a lease ahead and counts the attempt, in one write transaction; on
   PostgreSQL the batch is picked ``FOR UPDATE SKIP LOCKED``, and the conditional update lets
   only one of two racing workers have an event on either engine. A worker that dies
   mid-event leaves it to be claimed again when the lease ends.
2. **Handle** each event by kind: ``booking.transition`` calls the ``booking_event`` hook
   (once per event), schedules the 24 h and 1 h reminders when a booking is accepted or moved,
   and sends the messages ``core.notifications.bookings`` picks; ``booking.reminder`` sends
   the reminders of a booking that is still on; ``quality.*`` events (complaints, penalty
   steps, appeals) send what ``core.notifications.quality`` picks; ``safety.check`` sends the
   "are you OK?" ``core.notifications.safety`` picks. Unknown kinds are marked done.
3. **Send** each message through the tenant's channels in the YAML's order, falling back to
   the next channel when one fails, and record a ``Delivery`` per (event, recipient,
   template): a re-delivered event never sends a message twice.
4. **Finish**: done -> ``processed_at``; failed -> retried after a back-off (``last_error``
   says why, without personal data); after ``max_attempts`` it is given up, marked processed
   with the error kept (``last_error`` starts with "gave up").
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

from piccolo.engine.postgres import PostgresEngine

from core.booking.schemas import BookingEvent
from core.booking.states import CUSTOMER, PROVIDER
from core.db import write_transaction
from core.notifications.bookings import (
    REMINDER_LEADS_HOURS,
    BookingFacts,
    Notice,
    booking_facts,
    booking_link,
    calendar_link,
    contact_of,
    reminder_notices,
    transition_notices,
)
from core.notifications.channels import Message, NotificationChannel
from core.notifications.outbox import enqueue
from core.notifications.quality import QUALITY_EVENTS, quality_messages
from core.notifications.safety import SAFETY_EVENTS, safety_messages
from core.notifications.tables import Delivery, OutboxEvent
from core.notifications.templates import NotificationTemplates
from core.tenancy.scoped import scoped, tenant_transaction

if TYPE_CHECKING:
    from core.catalog.model import TenantCatalog
    from core.plugins import DoorstepPluginManager
    from core.settings import Settings
    from core.tenancy.model import Tenant

log = logging.getLogger("doorstep.notifications")

MAX_ATTEMPTS = 8
BATCH_SIZE = 20
MAX_EVENTS_PER_PASS = 500
"""A pass stops after this many events, so one busy tenant cannot starve the others."""
LEASE = timedelta(minutes=5)
"""How long a claimed event is left to its worker before another may take it."""
OBSERVERS = uuid.UUID(int=0)
"""The ``Delivery.recipient`` recording that the ``booking_event`` hook saw an event."""
REMINDER_NAMESPACE = uuid.UUID("0b6f4b1e-6a43-4d59-9b0e-6d1f4f7c2a11")


def backoff(attempts: int) -> timedelta:
    """30 s after the first failure, doubling, at most an hour."""
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), timedelta(hours=1))


def _due(tenant_id: Any, now: datetime) -> Any:
    """A tenant's events not yet processed whose time has come."""
    return (
        (OutboxEvent.tenant == tenant_id)
        & OutboxEvent.processed_at.is_null()
        & (OutboxEvent.available_at <= now)
    )


def due_events(tenant_id: Any, now: datetime, limit: int) -> Any:
    """The ids of the next ``limit`` due events, oldest first: read through the partial index
    ``notifications_outbox_due`` (of the unprocessed events only)."""
    return (
        OutboxEvent.select(OutboxEvent.id)
        .where(_due(tenant_id, now))
        .order_by(OutboxEvent.available_at)
        .limit(limit)
    )


@dataclass
class RelayReport:
    relayed: int = 0
    """Events finished (messages sent, or nothing to send)."""
    sent: int = 0
    already_sent: int = 0
    """Messages skipped because a Delivery shows an earlier attempt sent them."""
    observed: int = 0
    reminders_scheduled: int = 0
    retried: int = 0
    gave_up: int = 0

    def counts(self) -> dict[str, int]:
        """For the worker's report: ``outbox_relayed``, ``notifications_sent``... (only what
        happened: a quiet pass adds nothing to the report)."""
        return {
            ("notifications_" if key in {"sent", "already_sent"} else "outbox_") + key: value
            for key, value in asdict(self).items()
            if value
        }


class Undeliverable(Exception):
    """Every channel that could reach the recipient failed."""


@dataclass
class OutboxRelay:
    plugins: DoorstepPluginManager
    tenant: Tenant
    tenant_id: Any
    templates: NotificationTemplates
    now: datetime
    max_attempts: int = MAX_ATTEMPTS
    batch_size: int = BATCH_SIZE
    report: RelayReport = field(default_factory=RelayReport)
    _channels: list[NotificationChannel] | None = None
    _catalog: TenantCatalog | None = None

    async def run(self) -> RelayReport:
        handled = 0
        while handled < MAX_EVENTS_PER_PASS:
            events = await self.claim()
            if not events:
                break
            for event in events:
                await self.handle(event)
            handled += len(events)
        return self.report

    # --- claim and finish --------------------------------------------------------------

    async def claim(self) -> list[dict[str, Any]]:
        due = _due(self.tenant_id, self.now)
        async with tenant_transaction(self.tenant_id), write_transaction():
            query = due_events(self.tenant_id, self.now, self.batch_size)
            if isinstance(OutboxEvent._meta.db, PostgresEngine):
                query = query.lock_rows("UPDATE", skip_locked=True)
            ids = [row["id"] for row in await query]
            if not ids:
                return []
            claimed: list[dict[str, Any]] = await (
                OutboxEvent.update(
                    {
                        OutboxEvent.available_at: self.now + LEASE,
                        OutboxEvent.attempts: OutboxEvent.attempts + 1,
                    }
                )
                .where(OutboxEvent.id.is_in(ids) & due)
                .returning(
                    OutboxEvent.id, OutboxEvent.kind, OutboxEvent.payload, OutboxEvent.attempts
                )
            )
        return sorted(claimed, key=lambda e: ids.index(e["id"]))

    async def handle(self, event: dict[str, Any]) -> None:
        try:
            async with tenant_transaction(self.tenant_id):
                await self.deliver(event)
        except Exception as exc:
            await self.failed(event, exc)
        else:
            async with tenant_transaction(self.tenant_id), write_transaction():
                await (
                    scoped(OutboxEvent, self.tenant_id)
                    .update({OutboxEvent.processed_at: self.now, OutboxEvent.last_error: ""})
                    .where(OutboxEvent.id == event["id"])
                )
            self.report.relayed += 1

    async def failed(self, event: dict[str, Any], exc: Exception) -> None:
        reason = str(exc) if isinstance(exc, Undeliverable) else f"{type(exc).__name__}: {exc}"
        attempts = int(event["attempts"])
        values: dict[Any, Any]
        if attempts >= self.max_attempts:
            values = {
                OutboxEvent.processed_at: self.now,
                OutboxEvent.last_error: f"gave up after {attempts} attempts: {reason}"[:2000],
            }
            self.report.gave_up += 1
            log.error("outbox event %s (%s) given up: %s", event["id"], event["kind"], reason)
        else:
            values = {
                OutboxEvent.available_at: self.now + backoff(attempts),
                OutboxEvent.last_error: reason[:2000],
            }
            self.report.retried += 1
            log.warning(
                "outbox event %s (%s) will be retried: %s", event["id"], event["kind"], reason
            )
        async with tenant_transaction(self.tenant_id), write_transaction():
            await (
                scoped(OutboxEvent, self.tenant_id)
                .update(values)
                .where(OutboxEvent.id == event["id"])
            )

    # --- by kind ---------------------------------------------------------------------

    async def deliver(self, event: dict[str, Any]) -> None:
        payload = event["payload"]
        payload = json.loads(payload) if isinstance(payload, str) else dict(payload or {})
        kind = event["kind"]
        if kind in QUALITY_EVENTS or kind in SAFETY_EVENTS:
            await self.deliver_quality(event["id"], kind, payload)
            return
        if kind not in {"booking.transition", "booking.reminder", "dispatch.arrival"}:
            return
        booking = await booking_facts(self.tenant, self.tenant_id, str(payload["booking_id"]))
        if booking is None:
            return
        extra: dict[str, Any] = {}
        problems = []
        if kind == "booking.transition":
            try:
                await self.observe(event["id"], payload, booking)
            except Exception as exc:  # a plugin's bug must not hold back people's messages
                log.exception("a booking_event observer failed on event %s", event["id"])
                problems.append(f"booking_event observer: {type(exc).__name__}")
            rescheduled = payload.get("from") == payload.get("to")
            if booking.status == "accepted" and (payload.get("to") == "accepted" or rescheduled):
                await self.schedule_reminders(event["id"], booking)
            notices = transition_notices(payload, booking)
        elif kind == "dispatch.arrival":  # a day plan moved this booking's arrival window
            notices = [Notice(CUSTOMER, "arrival_window"), Notice(PROVIDER, "arrival_window")]
            extra["window_start"] = datetime.fromisoformat(payload["window_start"])
            extra["window_end"] = datetime.fromisoformat(payload["window_end"])
        else:
            notices = reminder_notices(payload, booking)
            extra["lead_hours"] = int(payload.get("lead_hours", 0))
        for notice in notices:
            try:
                await self.send(event["id"], booking, notice, extra)
            except Undeliverable as exc:
                problems.append(str(exc))
        if problems:
            raise Undeliverable("; ".join(problems))

    async def deliver_quality(self, event_id: Any, kind: str, payload: dict[str, Any]) -> None:
        """A complaint's, a penalty step's, an appeal's or a safety check's messages, each
        sent once."""
        problems = []
        pick = safety_messages if kind in SAFETY_EVENTS else quality_messages
        for message in await pick(self.tenant, self.tenant_id, kind, payload):
            context = partial(message.context, self.tenant, self.catalog)
            try:
                await self.send_to(
                    event_id, message.user_id, message.audience, message.template, context
                )
            except Undeliverable as exc:
                problems.append(str(exc))
        if problems:
            raise Undeliverable("; ".join(problems))

    async def observe(self, event_id: Any, payload: dict[str, Any], booking: BookingFacts) -> None:
        """The ``booking_event`` hook, once per event: a retried event does not call it again
        once it went through. If an observer raises, the event is retried (the messages are
        sent meanwhile, and not again); observers dedupe on the event id."""
        if await self._delivered(event_id, OBSERVERS, "booking_event"):
            return
        self.plugins.for_tenant(self.tenant).booking_event(
            event=BookingEvent(
                event_id=str(event_id),
                booking_id=booking.id,
                vertical=booking.vertical,
                from_state=str(payload.get("from", "")),
                to_state=str(payload.get("to", "")),
                at=datetime.fromisoformat(payload["at"]) if payload.get("at") else self.now,
                actor_role=str(payload.get("actor_role", "")),
            )
        )
        await self._record(event_id, OBSERVERS, "booking_event", "hook")
        self.report.observed += 1

    async def schedule_reminders(self, event_id: Any, booking: BookingFacts) -> None:
        """Reminder events due 24 h and 1 h before the start (those still ahead), with ids
        derived from this event's, so handling it again schedules nothing twice."""
        for hours in REMINDER_LEADS_HOURS:
            at = booking.starts_at - timedelta(hours=hours)
            if at <= self.now:
                continue
            reminder_id = uuid.uuid5(REMINDER_NAMESPACE, f"{event_id}:{hours}")
            if (
                await scoped(OutboxEvent, self.tenant_id)
                .exists()
                .where(OutboxEvent.id == reminder_id)
            ):
                continue
            async with write_transaction():
                await enqueue(
                    self.tenant_id,
                    "booking.reminder",
                    {
                        "booking_id": booking.id,
                        "starts_at": booking.starts_at.isoformat(),
                        "lead_hours": hours,
                    },
                    at=at,
                    event_id=str(reminder_id),
                )
            self.report.reminders_scheduled += 1

    # --- sending ---------------------------------------------------------------------

    async def send(
        self, event_id: Any, booking: BookingFacts, notice: Notice, extra: dict[str, Any]
    ) -> None:
        user_id = booking.user_of(notice.audience)
        if user_id is None:
            return

        def context(locale: str) -> dict[str, Any]:
            return {
                "audience": notice.audience,
                "item": booking.item_label(self.tenant, self.catalog, locale),
                "starts_at": booking.starts_at,
                "ends_at": booking.ends_at,
                "provider_name": booking.provider_name,
                "district": booking.district,
                "address": booking.address_for(notice.audience, self.tenant_id),
                "price_fen": booking.total_fen,
                "link": booking_link(self.tenant, booking.id, notice.audience),
                "calendar_link": calendar_link(self.tenant, booking.id),
                **extra,
            }

        await self.send_to(event_id, user_id, notice.audience, notice.template, context)

    async def send_to(
        self,
        event_id: Any,
        user_id: str,
        audience: str,
        template: str,
        context_for: Callable[[str], dict[str, Any]],
    ) -> None:
        """``template`` to ``user_id`` through the first channel that reaches them, in their
        language (``context_for(locale)`` gives the template's variables); once per event."""
        if await self._delivered(event_id, user_id, template):
            self.report.already_sent += 1
            return
        contact = await contact_of(self.tenant_id, user_id)
        if contact is None:
            return
        config = self.tenant.config
        locale = contact.locale if contact.locale in config.locales else config.default_locale
        context = context_for(locale)
        failures = []
        for channel in self.channels:
            to = contact.address(channel.address_kind)
            if not to:
                continue
            text = self.templates.render(self.tenant, locale, template, channel.identifier, context)
            message = Message(to=to, subject=text.subject, body=text.body, locale=locale)
            try:
                await channel.send(message)
            except Exception as exc:  # an outage: the next channel may still get through
                failures.append(f"{channel.identifier}: {type(exc).__name__}")
                log.warning(
                    "channel %s could not send %s (%s)",
                    channel.identifier,
                    template,
                    type(exc).__name__,
                )
                continue
            await self._record(event_id, user_id, template, channel.identifier)
            self.report.sent += 1
            return
        if failures:
            raise Undeliverable(f"{template} to the {audience}: {', '.join(failures)}")
        log.warning("no channel of %s reaches the %s for %s", self.tenant.slug, audience, template)

    async def _delivered(self, event_id: Any, recipient: Any, template: str) -> bool:
        return bool(
            await Delivery.exists().where(
                (Delivery.tenant == self.tenant_id)
                & (Delivery.event_id == event_id)
                & (Delivery.recipient == recipient)
                & (Delivery.template == template)
            )
        )

    async def _record(self, event_id: Any, recipient: Any, template: str, channel: str) -> None:
        async with write_transaction():
            await Delivery.insert(
                Delivery(
                    tenant=self.tenant_id,
                    event_id=event_id,
                    recipient=recipient,
                    template=template,
                    channel=channel,
                    sent_at=self.now,
                )
            )

    @property
    def channels(self) -> list[NotificationChannel]:
        if self._channels is None:
            from core.accounts.codes import tenant_channels

            self._channels = tenant_channels(self.plugins, self.tenant)
        return self._channels

    @property
    def catalog(self) -> TenantCatalog:
        if self._catalog is None:
            from core.catalog.service import build_catalog

            self._catalog = build_catalog(self.plugins, self.tenant)[0]
        return self._catalog


@lru_cache(maxsize=8)
def notification_templates(
    settings: Settings, plugins: DoorstepPluginManager
) -> NotificationTemplates:
    """One template store per process (its environments are cached per tenant and locale)."""
    return NotificationTemplates(settings, plugins)


async def relay_outbox(
    plugins: DoorstepPluginManager,
    tenant: Tenant,
    tenant_id: Any,
    settings: Settings,
    now: datetime | None = None,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    batch_size: int = BATCH_SIZE,
) -> RelayReport:
    """Relay the tenant's due outbox events once. Safe to run in several workers at once."""
    relay = OutboxRelay(
        plugins=plugins,
        tenant=tenant,
        tenant_id=tenant_id,
        templates=notification_templates(settings, plugins),
        now=now or datetime.now(UTC),
        max_attempts=max_attempts,
        batch_size=batch_size,
    )
    return await relay.run()
