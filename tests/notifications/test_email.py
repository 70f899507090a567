"""The email channel against a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from core.notifications.channels import Message
from core.notifications.email import EmailChannel
from core.tenancy.schema import EmailSettings, EnvSecret
from tests.notifications.conftest import HOME, Town, days_ahead

pytestmark = pytest.mark.db


class Mailbox:
    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        self.recipients.append(list(envelope.rcpt_tos))
        self.mails.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def email_settings(port: int) -> EmailSettings:
    return EmailSettings(
        host="127.0.0.1", port=port, sender="noreply@jiejia.example", starttls=False
    )


async def test_the_confirmation_email_arrives_in_the_customers_language(
    town: Town, smtp: tuple[Mailbox, int]
):
    mailbox, port = smtp
    town = town.using(["email", "console"], email=email_settings(port))
    english = await town.person(locale="en", email="mary@example.com", phone=False)
    chinese = await town.person(locale="zh_CN", email="wang@example.com")
    provider, provider_user = await town.provider("李秀英")
    for customer, day in ((english, 3), (chinese, 5)):
        booking = await town.book(customer, provider, days_ahead(day))
        await town.move(booking, "accepted", "provider", provider_user)

    report = await town.relay()

    # two emails to the customers; the provider has no email address: the console
    assert report.sent == 4 and report.retried == 0
    by_to = {mail["To"]: mail for mail in mailbox.mails}
    assert sorted(by_to) == ["mary@example.com", "wang@example.com"]
    mary = by_to["mary@example.com"]
    assert mary["Subject"].startswith("[Jiejia Home] Booking confirmed: Whole-home cleaning, ")
    assert mary["From"].addresses[0].display_name == "Jiejia Home"
    assert mary["From"].addresses[0].addr_spec == "noreply@jiejia.example"
    assert mary["Content-Language"] == "en"
    body = mary.get_content()
    assert "李阿姨 has accepted your booking for Whole-home cleaning" in body
    assert "/calendar.ics" in body and "http://jiejia.localhost:8000/bookings/" in body
    assert HOME not in body
    wang = by_to["wang@example.com"]
    assert wang["Subject"].startswith("【洁家到家】预约成功：全屋保洁，")
    assert wang["From"].addresses[0].display_name == "洁家到家"
    assert "李阿姨已接单" in wang.get_content()
    deliveries = await town.deliveries()
    channels = {d["template"]: d["channel"] for d in deliveries}
    assert channels["booking_confirmed"] == "email"
    assert channels["job_confirmed"] == "console"


async def test_an_unreachable_mail_server_falls_back_to_the_next_channel(town: Town):
    town = town.using(["email", "recorder"], email=email_settings(free_port()))
    customer = await town.person(locale="en", email="mary@example.com", phone=False)
    provider, provider_user = await town.provider()
    booking = await town.book(customer, provider, days_ahead(3))
    await town.move(booking, "accepted", "provider", provider_user)

    report = await town.relay()

    assert report.sent == 2 and report.retried == 0
    assert "mary@example.com" in {m.to for m in town.recorder.sent}
    assert {d["channel"] for d in await town.deliveries() if d["channel"] != "hook"} == {"recorder"}


async def test_the_mail_server_login_reads_the_password_from_the_environment(tenants, monkeypatch):  # type: ignore[no-untyped-def]
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:  # type: ignore[no-untyped-def]
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)

    mailbox, port = Mailbox(), free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        channel = EmailChannel(
            tenants.get("jiejia"),
            EmailSettings(
                host="127.0.0.1",
                port=port,
                sender="noreply@jiejia.example",
                username="noreply",
                password=EnvSecret(env="JIEJIA_SMTP_PASSWORD"),
                starttls=False,
            ),
        )
        message = Message(
            to="wang@example.com", subject="【洁家到家】测试", body="你好", locale="zh_CN"
        )
        monkeypatch.setenv("JIEJIA_SMTP_PASSWORD", "wrong")
        with pytest.raises(smtplib.SMTPAuthenticationError):
            await channel.send(message)
        monkeypatch.setenv("JIEJIA_SMTP_PASSWORD", "s3cret")  # rotated: no restart needed
        await channel.send(message)
    finally:
        controller.stop()

    assert logins[-1] == (b"noreply", b"s3cret")
    assert {password for _, password in logins} == {b"wrong", b"s3cret"}
    [mail] = mailbox.mails
    assert mail["Content-Language"] == "zh-CN" and mail.get_content().strip() == "你好"
    assert "s3cret" not in mail.as_string()
