"""Notification channels: adapters returned by the ``notification_channels`` hook."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec

from core.privacy.masking import mask_phone
from core.settings import get_settings

log = logging.getLogger("doorstep.notifications")


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """One message to one recipient. ``to`` is an address the channel understands."""

    to: str
    subject: str
    body: str
    locale: str = "zh_CN"
    code: str = ""
    """The one-time code the body carries, if any: a channel that keeps logs must not log it."""


class NotificationChannel:
    """Base of every channel. Subclasses set ``identifier`` and implement ``send``.

    ``send`` raises when the message did not go out; the sender then tries the tenant's next
    channel. ``address_kind`` says what ``Message.to`` must be: ``phone`` (E.164), ``email``,
    or ``any`` (the phone number if the recipient has one, else the email address).
    """

    identifier: str = ""
    address_kind: str = "any"

    async def send(self, message: Message) -> None:
        raise NotImplementedError


class SmsChannel(NotificationChannel):
    """The SMS adapter vendors implement (returned by their ``notification_channels`` hook):
    subclass it, set ``identifier`` and write ``send_sms``. Texts are plain, one part per
    message, cut at ``max_length`` characters."""

    identifier = "sms"
    address_kind = "phone"
    max_length = 300

    async def send(self, message: Message) -> None:
        text = message.body.strip()
        if len(text) > self.max_length:
            text = text[: self.max_length - 1] + "…"
        await self.send_sms(message.to, text)

    async def send_sms(self, phone: str, text: str) -> None:
        """Hand the text to the carrier; raise if it was not accepted."""
        raise NotImplementedError


@dataclass(frozen=True)
class DevCode:
    to: str
    code: str
    at: datetime


class DevInbox:
    """The latest code per (tenant, number), in this process's memory, for ``/dev/codes``.

    Filled only in demo mode; nothing is kept outside it.
    """

    def __init__(self) -> None:
        self._latest: dict[tuple[str, str], DevCode] = {}
        self._lock = threading.Lock()

    def remember(self, tenant: str, to: str, code: str) -> None:
        with self._lock:
            self._latest[(tenant, to)] = DevCode(to=to, code=code, at=datetime.now(UTC))

    def latest(self, tenant: str) -> list[DevCode]:
        """Newest first."""
        with self._lock:
            found = [code for (slug, _), code in self._latest.items() if slug == tenant]
        return sorted(found, key=lambda c: c.at, reverse=True)

    def code_for(self, tenant: str, to: str) -> str | None:
        with self._lock:
            found = self._latest.get((tenant, to))
        return found.code if found else None

    def clear(self) -> None:
        with self._lock:
            self._latest.clear()


DEV_INBOX = DevInbox()


def _recipient(to: str) -> str:
    return mask_phone(to) if to.startswith("+") else "***"


class ConsoleChannel(NotificationChannel):
    """The demo's SMS and email carrier: prints messages to the server log.

    In demo mode (``DOORSTEP_DEMO=1``) the log shows the text (the number masked) and codes are
    kept for ``/dev/codes``. Outside demo mode it logs only that a message went out: never a
    code, a number or a text.
    """

    identifier = "console"

    def __init__(self, tenant: str = "") -> None:
        self.tenant = tenant

    async def send(self, message: Message) -> None:
        if not get_settings().demo:
            log.info("[console] a message was sent (its text is shown in demo mode only)")
            return
        if message.code:
            DEV_INBOX.remember(self.tenant, message.to, message.code)
        log.info("[console] to %s: %s", _recipient(message.to), message.body)
