"""The ``email`` channel: plain-text mail through the tenant's SMTP server (``email:`` block)."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email import policy
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import TYPE_CHECKING

from core.notifications.channels import Message, NotificationChannel
from core.tenancy.loader import resolve_secret

if TYPE_CHECKING:
    from core.tenancy.model import Tenant
    from core.tenancy.schema import EmailSettings


HEADERS_UNFOLDED = policy.default.clone(max_line_length=998)
"""RFC 5322's hard limit: Python's folding at 78 puts a stray space before a subject that
starts with "[" (``[Jiejia Home] ...``)."""


class EmailChannel(NotificationChannel):
    """Sends one message per SMTP session, in a worker thread (smtplib blocks).

    The From header shows the tenant's name in the message's language. The password is read
    from its environment variable at send time, so a rotated secret needs no restart.
    """

    identifier = "email"
    address_kind = "email"

    def __init__(self, tenant: Tenant, settings: EmailSettings) -> None:
        self.tenant = tenant
        self.settings = settings

    async def send(self, message: Message) -> None:
        if "@" not in message.to:
            raise ValueError("the email channel needs an email address")
        await asyncio.to_thread(self._send, self.compose(message))

    def compose(self, message: Message) -> EmailMessage:
        mail = EmailMessage(policy=HEADERS_UNFOLDED)
        brand = self.tenant.name(message.locale)
        mail["From"] = formataddr((brand, self.settings.sender))
        mail["To"] = message.to
        mail["Subject"] = " ".join(message.subject.split())
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(domain=self.settings.sender.rpartition("@")[2])
        mail.set_content(message.body)
        mail["Content-Language"] = message.locale.replace("_", "-")
        return mail

    def _send(self, mail: EmailMessage) -> None:
        settings = self.settings
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                password = resolve_secret(settings.password) if settings.password else ""
                smtp.login(settings.username, password)
            smtp.send_message(mail)
