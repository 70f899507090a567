"""The channels core offers and the tenant YAML's ``email:`` block."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
import yaml

from core.notifications.channels import Message, SmsChannel
from core.notifications.email import EmailChannel
from core.tenancy.loader import parse_tenant_file
from core.tenancy.model import Tenant
from core.tenancy.schema import EmailSettings

ROOT = Path(__file__).resolve().parents[2]


def with_email(tenant: Tenant, email: EmailSettings | None) -> Tenant:
    config = msgspec.structs.replace(tenant.config, email=email)
    return Tenant(config=config, source=tenant.source, theme=tenant.theme)


def offered(plugins, tenant: Tenant) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        c.identifier for found in plugins.for_tenant(tenant).notification_channels() for c in found
    ]


def test_email_is_offered_once_the_tenant_configures_a_mail_server(plugins, tenants):  # type: ignore[no-untyped-def]
    jiejia = tenants.get("jiejia")
    configured = with_email(jiejia, EmailSettings(host="smtp.example.com", sender="a@example.com"))

    assert "email" not in offered(plugins, jiejia)
    assert offered(plugins, configured)[:2] == ["console", "email"]


async def test_the_email_channel_refuses_a_phone_number_so_the_next_channel_is_tried(tenants):  # type: ignore[no-untyped-def]
    channel = EmailChannel(
        tenants.get("jiejia"), EmailSettings(host="127.0.0.1", port=1, sender="a@example.com")
    )

    with pytest.raises(ValueError, match="email address"):
        await channel.send(Message(to="+8613812341234", subject="s", body="b"))


async def test_an_sms_adapter_sends_plain_text_cut_to_its_length():
    got: list[tuple[str, str]] = []

    class Vendor(SmsChannel):
        identifier = "vendor"
        max_length = 20

        async def send_sms(self, phone: str, text: str) -> None:
            got.append((phone, text))

    await Vendor().send(Message(to="+8613812341234", subject="ignored", body="一" * 30))

    assert got == [("+8613812341234", "一" * 19 + "…")]
    assert Vendor.address_kind == "phone"


def acme(email: dict) -> dict:  # type: ignore[type-arg]
    return {
        "slug": "acme",
        "name": {"zh_CN": "艾克美", "en": "Acme"},
        "hosts": ["acme.localhost"],
        "theme": {"name": "harbor"},
        "notification_channels": ["email", "console"],
        "email": email,
    }


def problems_of(tmp_path: Path, plugins, content: dict) -> list[str]:  # type: ignore[no-untyped-def,type-arg]
    path = tmp_path / "acme.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    _, problems = parse_tenant_file(path, plugins.verticals, ROOT / "themes")
    return [f"{p.key}: {p.reason}" for p in problems]


def test_the_mail_password_is_only_ever_an_environment_reference(tmp_path, plugins, monkeypatch):  # type: ignore[no-untyped-def]
    block = {"host": "smtp.example.com", "port": 465, "sender": "noreply@acme.example"}
    monkeypatch.delenv("ACME_SMTP_PASSWORD", raising=False)

    inline = problems_of(tmp_path, plugins, acme({**block, "username": "u", "password": "hunter2"}))
    unset = problems_of(
        tmp_path, plugins, acme({**block, "password": {"$env": "ACME_SMTP_PASSWORD"}})
    )
    monkeypatch.setenv("ACME_SMTP_PASSWORD", "s3cret")
    fine = problems_of(
        tmp_path,
        plugins,
        acme({**block, "username": "u", "password": {"$env": "ACME_SMTP_PASSWORD"}}),
    )
    wrong = problems_of(tmp_path, plugins, acme({"host": "h", "port": 0, "sender": "nobody"}))

    assert len(inline) == 1 and inline[0].startswith("email.password: ")
    assert unset == ["email.password: environment variable ACME_SMTP_PASSWORD is not set"]
    assert fine == []
    assert wrong == [
        "email.port: must be between 1 and 65535",
        "email.sender: must be an email address",
    ]
