"""Home repair, in the customer's words: call-out fee, labour, parts, surcharges, no up-sell."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from core.catalog.pricing import compare_quotes
from core.catalog.service import item_requirements
from core.tenancy.model import Tenant
from tests.catalog.helpers import (
    NOW,
    catalog_of,
    check_tenant,
    copy_tenants,
    edit_tenant,
    line_label,
    lines,
    price,
    problem_keys,
    set_vertical,
    shanghai,
    tenant_with,
)

TAP = "repair.faucet_replace"
LEAK = "repair.leak_repair"


def test_a_tap_replacement_carries_the_call_out_fee_plus_labour_per_tap(
    plugins, wanjia: Tenant
) -> None:
    two_taps = price(plugins, wanjia, TAP, "standard", {"units": 2})

    assert lines(two_taps) == {"base": 2 * 6000, "repair.call_out_fee": 3000}
    assert two_taps.total_fen == 15_000
    assert line_label(two_taps, "repair.call_out_fee") == "Call-out and diagnosis fee"
    # one more tap is one more labour charge, never a second call-out
    three_taps = price(plugins, wanjia, TAP, "standard", {"units": 3})
    assert three_taps.total_fen - two_taps.total_fen == 6000


def test_parts_are_charged_at_cost_plus_the_tenants_markup(plugins, wanjia: Tenant) -> None:
    found = price(plugins, wanjia, TAP, "standard", {"units": 1, "parts_cost_fen": 10_000})

    # wanjia keeps the default markup of 10 %
    assert lines(found) == {"base": 6000, "repair.call_out_fee": 3000, "repair.parts": 11_000}
    assert found.total_fen == 20_000


def test_the_parts_markup_is_rounded_to_the_nearest_fen(plugins, wanjia: Tenant) -> None:
    odd = price(plugins, wanjia, TAP, "standard", {"parts_cost_fen": 999})
    even = price(plugins, wanjia, TAP, "standard", {"parts_cost_fen": 1004})

    assert lines(odd)["repair.parts"] == 999 + 100  # 99.9 fen of markup -> 100
    assert lines(even)["repair.parts"] == 1004 + 100  # 100.4 fen -> 100


def test_no_parts_no_parts_line(plugins, wanjia: Tenant) -> None:
    found = price(plugins, wanjia, TAP, "standard", {"parts_cost_fen": 0})

    assert "repair.parts" not in lines(found)


def test_a_markup_at_the_cap_is_charged_in_full(
    tmp_path: Path, settings, plugins, wanjia: Tenant
) -> None:
    capped = tenant_with(
        tmp_path,
        settings,
        plugins,
        "wanjia",
        "repair",
        {"parts_markup_bps": 2000, "parts_markup_cap_bps": 2000},
    )

    found = price(plugins, capped, TAP, "standard", {"parts_cost_fen": 10_000})

    assert lines(found)["repair.parts"] == 12_000


def test_a_markup_above_the_cap_is_refused_by_the_tenant_check(
    tmp_path: Path, settings, plugins
) -> None:
    path = edit_tenant(
        copy_tenants(tmp_path),
        "wanjia",
        set_vertical("repair", {"parts_markup_bps": 3000, "parts_markup_cap_bps": 1500}),
    )

    tenant, problems = check_tenant(settings, plugins, path)

    assert tenant is None
    [problem] = problems
    assert problem.key.startswith("verticals.repair")
    assert "parts_markup_bps must not exceed parts_markup_cap_bps" in problem.reason


@pytest.mark.parametrize(
    ("block", "key"),
    [
        ({"call_out_fee_fen": -3000}, "verticals.repair.call_out_fee_fen"),
        ({"parts_markup_bps": -100}, "verticals.repair.parts_markup_bps"),
        ({"night_start_hour": 25}, "verticals.repair.night_start_hour"),
        ({"urgent_surcharge_fen": "fifty"}, "verticals.repair.urgent_surcharge_fen"),
    ],
)
def test_impossible_repair_settings_are_refused_naming_the_key(
    tmp_path: Path, settings, plugins, block: dict, key: str
) -> None:
    path = edit_tenant(copy_tenants(tmp_path), "wanjia", set_vertical("repair", block))

    tenant, problems = check_tenant(settings, plugins, path)

    assert tenant is None
    assert list(problem_keys(problems)) == [key]


def test_a_job_wanted_within_2_hours_carries_the_urgent_surcharge(plugins, wanjia: Tenant) -> None:
    in_90_minutes = price(plugins, wanjia, TAP, "standard", when=NOW + timedelta(minutes=90))
    in_2_hours = price(plugins, wanjia, TAP, "standard", when=NOW + timedelta(hours=2))
    in_3_hours = price(plugins, wanjia, TAP, "standard", when=NOW + timedelta(hours=3))

    assert in_90_minutes.urgent
    assert lines(in_90_minutes)["repair.urgent_surcharge"] == 5000
    assert line_label(in_90_minutes, "repair.urgent_surcharge") == "Urgent (within 2 hours)"
    assert lines(in_2_hours)["repair.urgent_surcharge"] == 5000
    assert not in_3_hours.urgent
    assert "repair.urgent_surcharge" not in lines(in_3_hours)


def test_a_repair_at_23_00_shanghai_time_carries_the_night_surcharge(
    plugins, wanjia: Tenant
) -> None:
    at_23 = shanghai(1, 23)
    assert (at_23.hour, at_23.tzname()) == (15, "UTC")  # 23:00 in Shanghai is 15:00 UTC

    night = price(plugins, wanjia, TAP, "standard", when=at_23)

    # wanjia charges ¥50 at night (the default would be ¥40)
    assert lines(night) == {
        "base": 6000,
        "repair.call_out_fee": 3000,
        "repair.night_surcharge": 5000,
    }
    assert line_label(night, "repair.night_surcharge", "zh_CN") == "夜间服务费"


def test_a_repair_at_15_00_shanghai_time_carries_no_night_surcharge(
    plugins, wanjia: Tenant
) -> None:
    """15:00 in Shanghai is 07:00 UTC: the hour is read in the tenant's zone, not in UTC."""
    day = price(plugins, wanjia, TAP, "standard", when=shanghai(1, 15))

    assert lines(day) == {"base": 6000, "repair.call_out_fee": 3000}


@pytest.mark.parametrize(
    ("hour", "minute", "night"),
    [(21, 59, False), (22, 0, True), (2, 0, True), (6, 59, True), (7, 0, False)],
)
def test_the_night_runs_from_22_00_to_07_00(
    plugins, wanjia: Tenant, hour: int, minute: int, night: bool
) -> None:
    found = price(plugins, wanjia, TAP, "standard", when=shanghai(2, hour, minute))

    assert ("repair.night_surcharge" in lines(found)) is night


def test_an_urgent_night_call_carries_both_surcharges(plugins, wanjia: Tenant) -> None:
    late = shanghai(0, 23)
    found = price(plugins, wanjia, TAP, "standard", when=late, now=late - timedelta(minutes=30))

    assert list(lines(found)) == [
        "base",
        "repair.call_out_fee",
        "repair.urgent_surcharge",
        "repair.night_surcharge",
    ]
    assert found.total_fen == 6000 + 3000 + 5000 + 5000


def test_electrical_items_require_an_electricians_licence(plugins, wanjia: Tenant) -> None:
    catalog = catalog_of(plugins, wanjia)
    electrical = [i for i in catalog.items if i.vertical == "repair" and "electrical" in i.tags]

    assert {i.key for i in electrical} == {"socket_switch", "circuit_fault", "light_install"}
    for item in electrical:
        licence = {r.code: r for r in item_requirements(plugins, wanjia, item)}
        assert "electrician_licence" in licence, item.ref
        assert licence["electrician_licence"].label["zh_CN"] == "特种作业操作证（电工）"
    tap = catalog.item(TAP)
    assert tap is not None
    assert "electrician_licence" not in {r.code for r in item_requirements(plugins, wanjia, tap)}


EV_CHARGER = {
    "category": "electrical",
    "item": {
        "key": "ev_charger",
        "label": {"zh_CN": "充电桩安装", "en": "EV charger installation"},
        "tags": ["electrical"],
        "tiers": [
            {
                "key": "standard",
                "label": {"zh_CN": "标准", "en": "Standard"},
                "price_fen": 30000,
                "price_min_fen": 20000,
                "price_max_fen": 50000,
                "duration_minutes": 120,
            }
        ],
    },
}


def test_a_tenants_own_electrical_item_also_requires_the_licence(
    tmp_path: Path, settings, plugins
) -> None:
    """A tenant adds "EV charger installation" in its YAML, tagged electrical, and lists no
    certificate: the provider still needs an electrician's licence."""
    tenant = tenant_with(
        tmp_path, settings, plugins, "wanjia", "repair", {"extra_items": [EV_CHARGER]}
    )
    charger = catalog_of(plugins, tenant).item("repair.ev_charger")
    assert charger is not None

    codes = {r.code for r in item_requirements(plugins, tenant, charger)}

    assert "electrician_licence" in codes
    assert lines(price(plugins, tenant, "repair.ev_charger", "standard")) == {
        "base": 30_000,
        "repair.call_out_fee": 3000,
    }


# --- diagnose first: the anti-up-sell guard ---------------------------------------------------


def test_a_final_price_above_the_upfront_quote_needs_the_customers_approval_of_each_change(
    plugins, wanjia: Tenant
) -> None:
    upfront = price(plugins, wanjia, LEAK, "pipe_joint")
    # on site the plumber finds a hidden pipe and needs a ¥50 valve
    final = price(plugins, wanjia, LEAK, "hidden_pipe", {"parts_cost_fen": 5000})

    change = compare_quotes(upfront, final)

    assert change.needs_customer_approval
    assert change.increase_fen == final.total_fen - upfront.total_fen == (20_000 - 8000) + 5500
    assert [(line.code, line.amount_fen) for line in change.added] == [("repair.parts", 5500)]
    assert [(old.amount_fen, new.amount_fen) for old, new in change.changed] == [(8000, 20_000)]
    assert change.removed == []


def test_parts_found_on_site_are_an_itemised_increase(plugins, wanjia: Tenant) -> None:
    upfront = price(plugins, wanjia, "repair.water_heater", "repair")
    final = price(plugins, wanjia, "repair.water_heater", "repair", {"parts_cost_fen": 12_000})

    change = compare_quotes(upfront, final)

    assert change.needs_customer_approval
    assert change.increase_fen == 13_200
    assert [line.label["en"] for line in change.added] == ["Parts at cost plus handling"]


def test_a_final_price_equal_to_the_upfront_quote_needs_no_approval(
    plugins, wanjia: Tenant
) -> None:
    upfront = price(plugins, wanjia, LEAK, "pipe_joint")
    final = price(plugins, wanjia, LEAK, "pipe_joint")

    change = compare_quotes(upfront, final)

    assert not change.needs_customer_approval
    assert (change.increase_fen, change.added, change.changed, change.removed) == (0, [], [], [])


def test_a_final_price_below_the_upfront_quote_needs_no_approval(plugins, wanjia: Tenant) -> None:
    upfront = price(plugins, wanjia, LEAK, "hidden_pipe", {"parts_cost_fen": 5000})
    # the leak was only a joint and no part was needed
    final = price(plugins, wanjia, LEAK, "pipe_joint")

    change = compare_quotes(upfront, final)

    assert change.increase_fen == -(12_000 + 5500)
    assert not change.needs_customer_approval
    assert [line.code for line in change.removed] == ["repair.parts"]


def test_the_cleaning_minimum_charge_never_tops_up_a_repair(plugins, wanjia: Tenant) -> None:
    """Wanjia offers cleaning (minimum ¥80) and repair: a ¥60 socket job stays ¥60."""
    found = price(plugins, wanjia, "repair.socket_switch", "standard", {"units": 1})

    assert lines(found) == {"base": 3000, "repair.call_out_fee": 3000}
