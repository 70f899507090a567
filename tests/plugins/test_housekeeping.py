"""Housekeeping, in the customer's words: what a clean costs, the minimum charge, add-ons."""

from __future__ import annotations

from core.catalog.service import item_requirements
from core.tenancy.model import Tenant
from tests.catalog.helpers import catalog_of, line_label, lines, price

HOME = "housekeeping.home_cleaning"


def test_deep_cleaning_of_120_m2_costs_1080_yuan(plugins, jiejia: Tenant) -> None:
    found = price(plugins, jiejia, HOME, "deep", {"area_m2": 120})

    assert (found.unit_price_fen, found.quantity) == (900, 120)
    assert lines(found) == {"base": 108_000}
    assert found.total_fen == 108_000
    assert found.currency == "CNY"


def test_move_in_cleaning_is_priced_per_m2(plugins, jiejia: Tenant) -> None:
    eighty = price(plugins, jiejia, HOME, "move_in", {"area_m2": 80})
    hundred = price(plugins, jiejia, HOME, "move_in", {"area_m2": 100})

    assert catalog_of(plugins, jiejia).tier(f"{HOME}.move_in")[1].unit == "m2"  # type: ignore[index]
    assert eighty.total_fen == 80 * 1200
    assert hundred.total_fen == 100 * 1200
    # each further square metre costs the move-in rate, not the deep-cleaning one
    assert hundred.total_fen - eighty.total_fen == 20 * 1200


def test_daily_cleaning_of_3_hours_costs_3_times_the_hourly_price(plugins, wanjia: Tenant) -> None:
    three_hours = price(plugins, wanjia, HOME, "daily", {"area_m2": 90, "hours": 3})

    assert (three_hours.unit_price_fen, three_hours.quantity) == (4500, 3)
    assert three_hours.total_fen == 3 * 4500
    # the area does not change an hourly price
    bigger_flat = price(plugins, wanjia, HOME, "daily", {"area_m2": 200, "hours": 3})
    assert bigger_flat.total_fen == three_hours.total_fen


def test_daily_cleaning_books_3_hours_unless_told_otherwise(plugins, wanjia: Tenant) -> None:
    found = price(plugins, wanjia, HOME, "daily", {"area_m2": 90})

    assert found.intake["hours"] == 3
    assert found.total_fen == 3 * 4500


def test_a_2_hour_daily_clean_is_topped_up_to_jiejias_minimum_of_99_yuan(
    plugins, jiejia: Tenant
) -> None:
    found = price(plugins, jiejia, HOME, "daily", {"area_m2": 40, "hours": 2})

    assert lines(found) == {"base": 9000, "housekeeping.minimum_charge": 900}
    assert found.total_fen == 9900
    assert line_label(found, "housekeeping.minimum_charge") == "Top-up to the minimum charge"
    assert line_label(found, "housekeeping.minimum_charge", "zh_CN") == "最低消费补足"


def test_each_tenant_has_its_own_minimum_charge(plugins, jiejia: Tenant, wanjia: Tenant) -> None:
    """Wanjia keeps the default minimum of ¥80: the same 2-hour clean (¥90) is not topped up,
    while 2 hours of home help (¥80) is exactly the minimum there and below it at Jiejia."""
    two_hours = {"area_m2": 40, "hours": 2}

    assert lines(price(plugins, wanjia, HOME, "daily", two_hours)) == {"base": 9000}
    help_2h = {"hours": 2}
    assert lines(price(plugins, wanjia, "housekeeping.hourly_help", "standard", help_2h)) == {
        "base": 8000
    }
    assert price(plugins, jiejia, "housekeeping.hourly_help", "standard", help_2h).total_fen == 9900


def test_window_cleaning_and_dust_mite_removal_appear_as_their_own_lines(
    plugins, jiejia: Tenant
) -> None:
    found = price(plugins, jiejia, HOME, "deep", {"area_m2": 100}, addons=["windows", "dust_mite"])

    assert lines(found) == {"base": 90_000, "addon.windows": 6000, "addon.dust_mite": 8000}
    assert found.total_fen == 104_000
    assert found.addons == ["windows", "dust_mite"]
    assert line_label(found, "addon.windows") == "Window cleaning (inside and out)"
    assert line_label(found, "addon.dust_mite", "zh_CN") == "床品除螨"


def test_an_add_on_chosen_twice_is_charged_once(plugins, jiejia: Tenant) -> None:
    found = price(plugins, jiejia, HOME, "deep", {"area_m2": 100}, addons=["windows", "windows"])

    assert lines(found) == {"base": 90_000, "addon.windows": 6000}


def test_add_ons_count_towards_the_minimum_charge(plugins, jiejia: Tenant) -> None:
    found = price(plugins, jiejia, HOME, "daily", {"area_m2": 40, "hours": 2}, addons=["fridge"])

    # ¥90 of cleaning + ¥50 fridge = ¥140: above the ¥99 minimum, nothing topped up
    assert lines(found) == {"base": 9000, "addon.fridge": 5000}


def test_the_duration_estimate_grows_with_the_area(plugins, jiejia: Tenant) -> None:
    small = price(plugins, jiejia, HOME, "deep", {"area_m2": 50})
    large = price(plugins, jiejia, HOME, "deep", {"area_m2": 150})
    with_windows = price(plugins, jiejia, HOME, "deep", {"area_m2": 150}, addons=["windows"])

    assert small.duration_minutes == 60 + 3 * 50
    assert large.duration_minutes == 60 + 3 * 150
    assert with_windows.duration_minutes == large.duration_minutes + 60


def test_a_daily_clean_takes_as_long_as_the_hours_booked(plugins, jiejia: Tenant) -> None:
    assert (
        price(plugins, jiejia, HOME, "daily", {"area_m2": 60, "hours": 4}).duration_minutes == 240
    )


def test_a_kitchen_deep_clean_has_one_price_per_visit(plugins, jiejia: Tenant) -> None:
    found = price(plugins, jiejia, "housekeeping.kitchen_cleaning", "heavy_grease")

    assert lines(found) == {"base": 29_900}
    assert found.duration_minutes == 240


def test_air_conditioner_cleaning_is_priced_per_unit(plugins, jiejia: Tenant) -> None:
    found = price(
        plugins, jiejia, "housekeeping.appliance_cleaning", "air_conditioner", {"units": 3}
    )

    assert found.total_fen == 3 * 8900
    assert found.duration_minutes == 3 * 60


def test_every_cleaner_holds_a_health_and_a_housekeeping_training_certificate(
    plugins, jiejia: Tenant
) -> None:
    catalog = catalog_of(plugins, jiejia)

    for item in catalog.items:
        codes = [r.code for r in item_requirements(plugins, jiejia, item)]
        assert {"health_certificate", "housekeeping_training"} <= set(codes), item.ref


def test_the_checklist_says_what_is_included_and_what_is_not(plugins, jiejia: Tenant) -> None:
    _, deep = catalog_of(plugins, jiejia).tier(f"{HOME}.deep")  # type: ignore[misc]

    assert {"zh_CN": "卫生间水垢、霉斑处理", "en": "Limescale and mould in the bathroom"} in (
        deep.contents
    )
    assert {"zh_CN": "地毯深度清洗", "en": "Deep carpet shampooing"} in deep.excluded
