"""Notification channels: adapters returned by the ``notification_channels`` hook."""

from __future__ import annotations

import logging

import msgspec

log = logging.getLogger("doorstep.notifications")


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """One message to one recipient. ``to`` is an address the channel understands."""

    to: str
    subject: str
    body: str
    locale: str = "zh_CN"


class NotificationChannel:
    """Base of every channel. Subclasses set ``identifier`` and implement ``send``."""

    identifier: str = ""

    async def send(self, message: Message) -> None:
        raise NotImplementedError


class ConsoleChannel(NotificationChannel):
    """Prints messages to the server log: the demo's SMS and email carrier."""

    identifier = "console"

    async def send(self, message: Message) -> None:
        log.info("[console] %s: %s", message.subject, message.body)
