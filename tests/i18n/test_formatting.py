"""Money and times at the edge: Babel, integer fen, the tenant's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.i18n.formatting import format_money, format_when

EIGHT_UTC = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def test_money_in_chinese():
    assert format_money(12345, "CNY", "zh_CN") == "¥123.45"


def test_money_in_english_names_the_currency():
    assert format_money(12345, "CNY", "en") == "CN¥123.45"


@pytest.mark.parametrize(
    ("fen", "shown"),
    [
        (1, "¥0.01"),
        (10, "¥0.10"),
        (100, "¥1.00"),
        (0, "¥0.00"),
        (-3000, "-¥30.00"),
        (123456789012345, "¥1,234,567,890,123.45"),
        (123456789012345678, "¥1,234,567,890,123,456.78"),
        (900719925474099301, "¥9,007,199,254,740,993.01"),
    ],
)
def test_money_is_exact_to_the_fen(fen, shown):
    assert format_money(fen, "CNY", "zh_CN") == shown


def test_large_amounts_would_be_wrong_through_float():
    fen = 123456789012345678

    assert f"{fen / 100:.2f}" != "1234567890123456.78"  # what float would lose
    assert format_money(fen, "CNY", "en").endswith("456.78")


def test_a_utc_morning_is_an_afternoon_in_shanghai():
    assert "16:00" in format_when(EIGHT_UTC, "Asia/Shanghai", "zh_CN")
    assert "2025年3月1日" in format_when(EIGHT_UTC, "Asia/Shanghai", "zh_CN")
    english = format_when(EIGHT_UTC, "Asia/Shanghai", "en")
    assert "Mar 1, 2025" in english
    assert "4:00:00" in english
    assert "PM" in english


def test_the_time_zone_decides_the_hour_and_the_day():
    late = datetime(2025, 3, 1, 20, 30, tzinfo=UTC)

    assert "3月2日" in format_when(late, "Asia/Shanghai", "zh_CN")
    assert "04:30" in format_when(late, "Asia/Shanghai", "zh_CN")
    assert "08:00" in format_when(EIGHT_UTC, "Europe/London", "zh_CN")


def test_any_aware_time_is_shown_in_the_tenant_zone():
    tokyo = datetime(2025, 3, 1, 17, 0, tzinfo=timezone(timedelta(hours=9)))

    assert "16:00" in format_when(tokyo, "Asia/Shanghai", "zh_CN")


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="naive"):
        format_when(datetime(2025, 3, 1, 8, 0), "Asia/Shanghai", "zh_CN")


def test_templates_format_in_the_tenants_locale_and_zone(app):
    store = app.state.doorstep.templates
    jiejia = app.state.doorstep.tenants.get("jiejia")
    source = "{{ money(12345) }} | {{ when(moment, 'short') }}"

    chinese = store.environment(jiejia, "zh_CN").from_string(source).render(moment=EIGHT_UTC)
    english = store.environment(jiejia, "en").from_string(source).render(moment=EIGHT_UTC)

    assert chinese.startswith("¥123.45 | ")
    assert "16:00" in chinese
    assert english.startswith("CN¥123.45 | ")
    assert "4:00" in english
