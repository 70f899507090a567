"""Codes go out through the tenant's channels, in its language; logs never show them outside
demo mode."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import msgspec
import pytest

from core.accounts.codes import code_text, send_code, tenant_channels
from core.accounts.otp import IssuedCode
from core.hookspecs import hookimpl
from core.notifications.channels import (
    DEV_INBOX,
    ConsoleChannel,
    DevInbox,
    Message,
    NotificationChannel,
)
from core.plugins import build_plugin_manager
from core.tenancy.model import Tenant
from tests.accounts.conftest import WANG_E164

ISSUED = IssuedCode(phone=WANG_E164, code="482913", expires_at=datetime(2026, 11, 26, tzinfo=UTC))


class Sms(NotificationChannel):
    identifier = "sms"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.sent: list[Message] = []

    async def send(self, message: Message) -> None:
        if self.fail:
            raise ConnectionError("carrier down")
        self.sent.append(message)


def with_channels(tenant: Tenant, names: list[str]) -> Tenant:
    config = msgspec.structs.replace(tenant.config, notification_channels=names)
    return Tenant(
        config=config,
        source=tenant.source,
        theme=tenant.theme,
        vertical_configs=tenant.vertical_configs,
    )


def test_the_code_text_is_in_the_tenants_language(jiejia: Tenant) -> None:
    assert code_text(jiejia, "zh_CN", "482913") == "【洁家到家】验证码 482913，10 分钟内有效"
    assert code_text(jiejia, "en", "482913") == (
        "[Jiejia Home] Your sign-in code is 482913. It is valid for 10 minutes."
    )


def test_only_the_channels_the_tenant_names_are_used_in_its_order(jiejia: Tenant) -> None:
    sms = Sms()

    class SmsPlugin:
        @hookimpl
        def notification_channels(self, tenant: Tenant) -> list[NotificationChannel]:
            return [sms]

    pm = build_plugin_manager(extra=[SmsPlugin()])

    assert [c.identifier for c in tenant_channels(pm, jiejia)] == ["console"]
    assert [
        c.identifier for c in tenant_channels(pm, with_channels(jiejia, ["sms", "console"]))
    ] == [
        "sms",
        "console",
    ]
    assert tenant_channels(pm, with_channels(jiejia, ["wechat"])) == []


async def test_a_failing_channel_falls_back_to_the_next(jiejia: Tenant, inbox: DevInbox) -> None:
    down, up = Sms(fail=True), Sms()

    class Carriers:
        @hookimpl
        def notification_channels(self, tenant: Tenant) -> list[NotificationChannel]:
            return [down]

    class Backup:
        @hookimpl
        def notification_channels(self, tenant: Tenant) -> list[NotificationChannel]:
            up.identifier = "sms_backup"
            return [up]

    pm = build_plugin_manager(extra=[Carriers(), Backup()])
    tenant = with_channels(jiejia, ["sms", "sms_backup"])

    assert await send_code(pm, tenant, ISSUED, "zh_CN")

    (message,) = up.sent
    assert message.to == WANG_E164 and message.code == "482913"
    assert message.body == "【洁家到家】验证码 482913，10 分钟内有效"


async def test_with_no_working_channel_the_caller_still_answers(jiejia: Tenant) -> None:
    assert (
        await send_code(build_plugin_manager(), with_channels(jiejia, []), ISSUED, "zh_CN") is False
    )


async def test_the_console_logs_no_code_and_no_number_outside_demo_mode(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("DOORSTEP_DEMO", raising=False)
    DEV_INBOX.clear()
    message = Message(
        to=WANG_E164,
        subject="sign-in code",
        body="【洁家到家】验证码 482913，10 分钟内有效",
        code="482913",
    )

    with caplog.at_level(logging.DEBUG):
        await ConsoleChannel("jiejia").send(message)

    assert "482913" not in caplog.text and "1234" not in caplog.text
    assert "message was sent" in caplog.text
    assert DEV_INBOX.latest("jiejia") == []


async def test_in_demo_mode_the_console_prints_the_text_with_the_number_masked(
    inbox: DevInbox, caplog: pytest.LogCaptureFixture
) -> None:
    message = Message(
        to=WANG_E164,
        subject="sign-in code",
        body="【洁家到家】验证码 482913，10 分钟内有效",
        code="482913",
    )

    with caplog.at_level(logging.INFO):
        await ConsoleChannel("jiejia").send(message)

    assert "to 138****1234: 【洁家到家】验证码 482913" in caplog.text
    assert WANG_E164 not in caplog.text
    assert inbox.code_for("jiejia", WANG_E164) == "482913"
    assert inbox.latest("wanjia") == [], "each tenant sees its own codes"
