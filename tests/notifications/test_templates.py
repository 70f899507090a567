"""Notification texts: per locale, overridable per tenant, every message translated."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from core.notifications.bookings import (
    BookingFacts,
    reminder_notices,
    transition_notices,
)
from core.notifications.templates import NotificationTemplates
from core.web.templating import CORE_TEMPLATES

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(p.stem for p in (CORE_TEMPLATES / "notifications").glob("*.txt"))
STARTS = datetime(2026, 3, 11, 6, 0, tzinfo=UTC)
"""Wednesday 11 March 2026, 14:00 in Shanghai."""


def context(**extra: object) -> dict[str, object]:
    return {
        "audience": "customer",
        "item": "全屋保洁",
        "starts_at": STARTS,
        "ends_at": STARTS,
        "provider_name": "李阿姨",
        "district": "浦东新区",
        "address": "",
        "price_fen": 38800,
        "link": "http://jiejia.localhost:8000/bookings/b-1",
        "calendar_link": "http://jiejia.localhost:8000/bookings/b-1/calendar.ics",
        "lead_hours": 24,
        **extra,
    }


def test_every_template_renders_a_subject_and_a_body_in_both_languages(settings, plugins, tenants):  # type: ignore[no-untyped-def]
    store = NotificationTemplates(settings, plugins)
    jiejia = tenants.get("jiejia")
    for name in TEMPLATES:
        for locale in ("zh_CN", "en"):
            text = store.render(jiejia, locale, name, "console", context())
            assert text.subject and text.body, (name, locale)
            assert "\n" not in text.subject
            assert "%(" not in text.subject + text.body, (name, locale)
            assert text.subject.startswith("【洁家到家】" if locale == "zh_CN" else "[Jiejia Home]")


def test_times_are_local_and_in_the_readers_language(settings, plugins, tenants):  # type: ignore[no-untyped-def]
    store = NotificationTemplates(settings, plugins)
    jiejia = tenants.get("jiejia")

    zh = store.render(jiejia, "zh_CN", "booking_confirmed", "email", context())
    en = store.render(jiejia, "en", "booking_confirmed", "email", context(item="Home cleaning"))

    assert zh.subject == "【洁家到家】预约成功：全屋保洁，3月11日 星期三 14:00"
    assert en.subject == "[Jiejia Home] Booking confirmed: Home cleaning, Wed 11 Mar 2026, 14:00"
    assert en.body.splitlines()[0] == (
        "李阿姨 has accepted your booking for Home cleaning on Wed 11 Mar 2026, 14:00."
    )
    assert "Add it to your calendar: http://jiejia.localhost:8000/bookings/b-1/calendar.ics" in (
        en.body
    )


def test_a_tenant_overrides_a_template_and_a_channel_variant(
    settings, plugins, tenants, tmp_path: Path
):  # type: ignore[no-untyped-def]
    own = tmp_path / "jiejia" / "templates" / "notifications"
    own.mkdir(parents=True)
    (own / "booking_confirmed.txt").write_text(
        '{% extends "core:notifications/booking_confirmed.txt" %}\n'
        "{% block subject %}【洁家】{{ provider_name }}明天见！{% endblock %}\n",
        encoding="utf-8",
    )
    (own / "job_offered.vendor_sms.txt").write_text(
        "新单\n\n{{ item }} {{ when(starts_at) }} {{ district }}，回复 1 接单\n", encoding="utf-8"
    )
    store = NotificationTemplates(dataclasses.replace(settings, tenants_dir=tmp_path), plugins)
    jiejia, wanjia = tenants.get("jiejia"), tenants.get("wanjia")

    overridden = store.render(jiejia, "zh_CN", "booking_confirmed", "email", context())
    sms = store.render(jiejia, "zh_CN", "job_offered", "vendor_sms", context())
    by_email = store.render(jiejia, "zh_CN", "job_offered", "email", context())
    elsewhere = store.render(wanjia, "zh_CN", "booking_confirmed", "email", context())

    assert overridden.subject == "【洁家】李阿姨明天见！"
    assert overridden.body.startswith("李阿姨已接单")  # the original's body, extended
    assert sms.body == "全屋保洁 3月11日 星期三 14:00 浦东新区，回复 1 接单"
    assert by_email.subject.startswith("【洁家到家】新订单")
    assert elsewhere.subject.startswith("【万家帮】预约成功")


def test_every_notification_message_has_a_chinese_translation():
    wanted = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(
            str(CORE_TEMPLATES / "notifications"),
            method_map=[("**.txt", "jinja2")],
            options_map={"**.txt": {"extensions": "jinja2.ext.i18n"}},
        )
    }
    po = ROOT / "core" / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as fp:
        have = {m.id for m in read_po(fp) if m.id and m.string}

    assert len(wanted) > 20
    assert sorted(wanted - have) == []


def facts(status: str, *, provider: bool = True, starts: datetime = STARTS) -> BookingFacts:
    return BookingFacts(
        id="b-1",
        status=status,
        vertical="housekeeping",
        item_refs=("housekeeping.home_cleaning",),
        starts_at=starts,
        ends_at=starts,
        district="浦东新区",
        total_fen=38800,
        customer_user="c-1",
        provider_profile="p-1" if provider else None,
        provider_user="u-2" if provider else None,
        provider_name="李阿姨",
        address_enc="",
        version=2,
        updated_at=starts,
    )


def planned(payload: dict[str, str], booking: BookingFacts) -> list[tuple[str, str]]:
    return [(n.audience, n.template) for n in transition_notices(payload, booking)]


@pytest.mark.parametrize(
    ("before", "after", "actor", "status", "expected"),
    [
        ("requested", "offered", "customer", "offered",
         [("customer", "booking_requested"), ("provider", "job_offered")]),
        ("requested", "offered", "customer", "accepted", []),
        ("offered", "accepted", "provider", "accepted",
         [("customer", "booking_confirmed"), ("provider", "job_confirmed")]),
        ("accepted", "en_route", "provider", "en_route", [("customer", "provider_on_the_way")]),
        ("accepted", "en_route", "provider", "arrived", []),
        ("en_route", "arrived", "provider", "arrived", []),
        ("in_progress", "completed", "provider", "completed",
         [("customer", "booking_completed"), ("provider", "job_completed")]),
        ("accepted", "cancelled", "customer", "cancelled", [("provider", "job_cancelled")]),
        ("accepted", "cancelled", "provider", "cancelled", [("customer", "booking_cancelled")]),
        ("accepted", "cancelled", "staff", "cancelled",
         [("customer", "booking_cancelled"), ("provider", "job_cancelled")]),
        ("accepted", "accepted", "customer", "accepted", [("provider", "job_rescheduled")]),
        ("accepted", "accepted", "staff", "accepted",
         [("customer", "booking_rescheduled"), ("provider", "job_rescheduled")]),
    ],
)  # fmt: skip
def test_who_hears_of_each_change(before, after, actor, status, expected):  # type: ignore[no-untyped-def]
    payload = {"from": before, "to": after, "actor_role": actor}

    assert planned(payload, facts(status)) == expected


def test_a_reminder_is_dropped_when_the_booking_is_off_or_has_moved():
    payload = {"starts_at": STARTS.isoformat(), "lead_hours": "24"}
    moved = STARTS.replace(hour=8)

    assert len(reminder_notices(payload, facts("accepted"))) == 2
    assert reminder_notices(payload, facts("cancelled")) == []
    assert reminder_notices(payload, facts("completed")) == []
    assert reminder_notices(payload, facts("accepted", starts=moved)) == []
