"""A tenant shapes its catalogue in YAML alone: prices inside the band, items off, its own items.

A mistake is reported by ``catalog_problems`` (the tenant check) naming the key to fix, and a
tenant with a mistake does not start.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from typer.testing import CliRunner

from core.boot import load_tenants
from core.catalog.service import catalog_problems, item_requirements
from core.settings import Settings
from core.tenancy.loader import TenantConfigError
from core.tenancy.service import sync_tenant_rows
from tests.catalog.helpers import (
    SOFA_CLEANING,
    catalog_of,
    check_tenant,
    copy_tenants,
    edit_tenant,
    lines,
    price,
    problem_keys,
    refusal,
    set_vertical,
)

HOUSEKEEPING = "verticals.housekeeping"
TIER = SOFA_CLEANING["item"]["tiers"][0]


def jiejia_with(tmp_path: Path, block: dict[str, Any]) -> Path:
    """Jiejia's file in a copy of the tenants folder, with this housekeeping block."""
    return edit_tenant(copy_tenants(tmp_path), "jiejia", set_vertical("housekeeping", block))


def sofa(**changes: Any) -> dict[str, Any]:
    """The sofa-cleaning item with some of its keys changed (``tier__price_fen=...``)."""
    extra = copy.deepcopy(SOFA_CLEANING)
    for key, value in changes.items():
        if key.startswith("tier__"):
            extra["item"]["tiers"][0][key.removeprefix("tier__")] = value
        elif key.startswith("intake__"):
            extra["item"]["intake"][0][key.removeprefix("intake__")] = value
        elif key == "category":
            extra["category"] = value
        else:
            extra["item"][key] = value
    return extra


# --- price overrides ---------------------------------------------------------------------------


def test_a_price_override_inside_the_band_is_the_tenants_list_price(
    tmp_path: Path, settings, plugins
) -> None:
    path = jiejia_with(
        tmp_path, {"minimum_charge_fen": 9900, "price_overrides_fen": {"home_cleaning.deep": 1000}}
    )
    tenant, problems = check_tenant(settings, plugins, path)
    assert problems == []
    assert tenant is not None

    found = price(plugins, tenant, "housekeeping.home_cleaning", "deep", {"area_m2": 120})

    assert found.unit_price_fen == 1000
    assert found.total_fen == 120_000


@pytest.mark.parametrize("fen", [699, 1401, 0])
def test_a_price_override_outside_the_band_is_reported_naming_the_key(
    tmp_path: Path, settings, plugins, fen: int
) -> None:
    path = jiejia_with(tmp_path, {"price_overrides_fen": {"home_cleaning.deep": fen}})

    tenant, problems = check_tenant(settings, plugins, path)

    assert tenant is None
    assert problem_keys(problems) == {
        f"{HOUSEKEEPING}.price_overrides_fen.home_cleaning.deep": (
            f"{fen} fen is outside the band 700-1400 fen"
        )
    }
    assert problems[0].file == str(path)


def test_a_negative_price_override_is_refused(tmp_path: Path, settings, plugins) -> None:
    path = jiejia_with(tmp_path, {"price_overrides_fen": {"home_cleaning.deep": -900}})

    _, problems = check_tenant(settings, plugins, path)

    assert list(problem_keys(problems)) == [
        f"{HOUSEKEEPING}.price_overrides_fen.home_cleaning.deep"
    ]


def test_catalog_problems_reports_a_band_broken_by_an_already_loaded_tenant(
    plugins, jiejia
) -> None:
    """The check itself, on a tenant whose file passed the type check."""
    from plugins.housekeeping.config import HousekeepingConfig

    block = HousekeepingConfig(price_overrides_fen={"home_cleaning.daily": 9000})
    broken = dataclasses.replace(jiejia, vertical_configs={"housekeeping": block})

    [problem] = catalog_problems(plugins, broken)

    assert problem.key == f"{HOUSEKEEPING}.price_overrides_fen.home_cleaning.daily"
    assert problem.reason == "9000 fen is outside the band 3500-6500 fen"
    assert catalog_problems(plugins, jiejia) == []


def test_a_price_override_for_no_such_service_is_reported(
    tmp_path: Path, settings, plugins
) -> None:
    path = jiejia_with(
        tmp_path, {"price_overrides_fen": {"home_cleaning.luxury": 2000, "sofa.standard": 100}}
    )

    _, problems = check_tenant(settings, plugins, path)

    assert problem_keys(problems) == {
        f"{HOUSEKEEPING}.price_overrides_fen.home_cleaning.luxury": "no such item.tier",
        f"{HOUSEKEEPING}.price_overrides_fen.sofa.standard": "no such item.tier",
    }


def test_a_tenant_with_a_price_outside_the_band_does_not_start(
    tmp_path: Path, settings, plugins
) -> None:
    path = jiejia_with(tmp_path, {"price_overrides_fen": {"home_cleaning.deep": 5000}})

    with pytest.raises(TenantConfigError) as refused:
        load_tenants(dataclasses.replace(settings, tenants_dir=path.parent), plugins)

    assert [p.key for p in refused.value.problems] == [
        f"{HOUSEKEEPING}.price_overrides_fen.home_cleaning.deep"
    ]


def test_doorstep_tenant_check_fails_on_a_price_outside_the_band(
    tmp_path: Path, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli.main import app as doorstep

    path = jiejia_with(tmp_path, {"price_overrides_fen": {"home_cleaning.deep": 5000}})
    monkeypatch.setenv("DOORSTEP_TENANTS", str(path.parent))
    monkeypatch.setenv("DOORSTEP_THEMES", str(settings.themes_dir))
    monkeypatch.setenv("DOORSTEP_VAR", str(tmp_path / "var"))

    result = CliRunner().invoke(doorstep, ["tenant", "check"])

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        f"{path}: {HOUSEKEEPING}.price_overrides_fen.home_cleaning.deep: "
        "5000 fen is outside the band 700-1400 fen",
        "error: 1 problem(s) in 2 file(s)",
    ]


# --- items switched off ------------------------------------------------------------------------


def test_switching_off_an_unknown_item_is_reported(tmp_path: Path, settings, plugins) -> None:
    path = jiejia_with(tmp_path, {"disabled_items": ["kitchen_cleaning", "ironing"]})

    _, problems = check_tenant(settings, plugins, path)

    assert problem_keys(problems) == {f"{HOUSEKEEPING}.disabled_items[1]": "unknown item 'ironing'"}


def test_a_price_for_a_switched_off_item_is_still_checked_but_not_unknown(
    tmp_path: Path, settings, plugins
) -> None:
    """Switching an item off for the winter keeps its price: it is not "no such item"."""
    kept = jiejia_with(
        tmp_path / "a",
        {
            "disabled_items": ["kitchen_cleaning"],
            "price_overrides_fen": {"kitchen_cleaning.standard": 18_000},
        },
    )
    broken = jiejia_with(
        tmp_path / "b",
        {
            "disabled_items": ["kitchen_cleaning"],
            "price_overrides_fen": {"kitchen_cleaning.standard": 99},
        },
    )

    assert check_tenant(settings, plugins, kept)[1] == []
    assert list(problem_keys(check_tenant(settings, plugins, broken)[1])) == [
        f"{HOUSEKEEPING}.price_overrides_fen.kitchen_cleaning.standard"
    ]


def test_a_switched_off_item_cannot_be_quoted(tmp_path: Path, settings, plugins) -> None:
    path = jiejia_with(tmp_path, {"disabled_items": ["kitchen_cleaning"]})
    tenant, _ = check_tenant(settings, plugins, path)
    assert tenant is not None

    assert catalog_of(plugins, tenant).item("housekeeping.kitchen_cleaning") is None
    assert refusal(lambda: price(plugins, tenant, "housekeeping.kitchen_cleaning", "standard")) == {
        "item": "unknown service 'housekeeping.kitchen_cleaning'"
    }


def test_switching_off_every_item_of_a_category_removes_the_category(
    tmp_path: Path, settings, plugins
) -> None:
    path = jiejia_with(tmp_path, {"disabled_items": ["hourly_help", "organising"]})
    tenant, _ = check_tenant(settings, plugins, path)
    assert tenant is not None

    assert [c.key for c in catalog_of(plugins, tenant).categories] == ["cleaning"]


@pytest.fixture
def jiejia_site(
    tmp_path: Path, settings: Settings, plugins
) -> Iterator[Callable[[dict[str, Any]], TestClient]]:  # type: ignore[no-untyped-def]
    """``jiejia_site(block)``: a client of Jiejia's site served with this housekeeping block."""
    from core.web.app import create_app

    with ExitStack() as stack:

        def open_site(block: dict[str, Any]) -> TestClient:
            path = jiejia_with(tmp_path, {"minimum_charge_fen": 9900, **block})
            app = create_app(
                settings=dataclasses.replace(settings, tenants_dir=path.parent), plugins=plugins
            )
            return stack.enter_context(TestClient(app, base_url="http://jiejia.localhost"))

        yield open_site


@pytest.mark.db
async def test_a_switched_off_item_is_gone_from_the_api_and_the_pages(
    db, tenants, jiejia_site
) -> None:
    await sync_tenant_rows(tenants)
    client = jiejia_site({"disabled_items": ["kitchen_cleaning"]})

    listed = client.get("/api/v1/services").json()
    refs = [s["ref"] for c in listed for s in c["services"]]
    quoted = client.post(
        "/api/v1/quote", json={"item": "housekeeping.kitchen_cleaning", "tier": "standard"}
    )
    page = client.get("/services")

    assert "housekeeping.kitchen_cleaning" not in refs
    assert "housekeeping.home_cleaning" in refs
    assert quoted.status_code == 400
    assert quoted.json()["problems"] == [
        {"field": "item", "reason": "unknown service 'housekeeping.kitchen_cleaning'"}
    ]
    assert page.status_code == 200
    assert "全屋保洁" in page.text
    assert "厨房深度清洁" not in page.text
    assert "/services/housekeeping/kitchen_cleaning" not in page.text
    assert client.get("/services/housekeeping/kitchen_cleaning").status_code == 404
    assert client.get("/api/v1/services/housekeeping/kitchen_cleaning").status_code == 404


# --- the tenant's own items --------------------------------------------------------------------


def test_a_tenant_adds_an_item_purely_in_yaml_and_it_can_be_quoted(
    tmp_path: Path, settings: Settings, plugins
) -> None:
    path = jiejia_with(tmp_path, {"minimum_charge_fen": 9900, "extra_items": [SOFA_CLEANING]})
    registry = load_tenants(dataclasses.replace(settings, tenants_dir=path.parent), plugins)
    tenant = registry.get("jiejia")
    assert tenant is not None

    cleaning = next(c for c in catalog_of(plugins, tenant).categories if c.key == "cleaning")
    three_seats = price(plugins, tenant, "housekeeping.sofa_cleaning", "standard", {"seats": 3})

    assert [i.key for i in cleaning.items][-1] == "sofa_cleaning"
    assert lines(three_seats) == {"base": 45_000}
    assert three_seats.duration_minutes == 90
    # the platform's rules hold for it as for any housekeeping item
    sofa_item = catalog_of(plugins, tenant).item("housekeeping.sofa_cleaning")
    assert sofa_item is not None
    assert {r.code for r in item_requirements(plugins, tenant, sofa_item)} >= {
        "health_certificate",
        "housekeeping_training",
    }
    one_seat = price(plugins, tenant, "housekeeping.sofa_cleaning", "standard", {"seats": 1})
    assert lines(one_seat) == {"base": 15_000}
    assert sorted(price_problems(plugins, tenant, {"seats": 11})) == ["intake.seats"]


@pytest.mark.db
async def test_a_tenants_own_item_is_listed_shown_and_quoted_on_its_site(
    db, tenants, jiejia_site
) -> None:
    await sync_tenant_rows(tenants)
    client = jiejia_site({"extra_items": [SOFA_CLEANING]})

    listed = client.get("/api/v1/services").json()
    described = client.get("/api/v1/services/housekeeping/sofa_cleaning").json()
    page = client.get("/services/housekeeping/sofa_cleaning")
    quoted = client.post(
        "/api/v1/quote",
        json={"item": "housekeeping.sofa_cleaning", "tier": "standard", "intake": {"seats": 3}},
    )
    too_many = client.post(
        "/api/v1/quote",
        json={"item": "housekeeping.sofa_cleaning", "tier": "standard", "intake": {"seats": 30}},
    )

    assert "housekeeping.sofa_cleaning" in [s["ref"] for c in listed for s in c["services"]]
    assert [q["key"] for q in described["intake"]] == ["seats"]
    assert page.status_code == 200
    assert "布艺沙发清洗" in page.text
    assert quoted.status_code == 200, quoted.text
    assert quoted.json()["totalFen"] == 45_000
    assert too_many.status_code == 400
    assert too_many.json()["problems"] == [
        {"field": "intake.seats", "reason": "must be at most 10"}
    ]


def price_problems(plugins, tenant, intake) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return refusal(lambda: price(plugins, tenant, "housekeeping.sofa_cleaning", "standard", intake))


def test_a_tenants_own_item_in_a_new_category_needs_the_category_label(
    tmp_path: Path, settings, plugins
) -> None:
    unlabelled = jiejia_with(tmp_path / "a", {"extra_items": [sofa(category="upholstery")]})
    labelled = jiejia_with(
        tmp_path / "b",
        {
            "extra_items": [
                {
                    **sofa(category="upholstery"),
                    "category_label": {"zh_CN": "布艺", "en": "Upholstery"},
                }
            ]
        },
    )

    assert problem_keys(check_tenant(settings, plugins, unlabelled)[1]) == {
        f"{HOUSEKEEPING}.extra_items[0].category_label": "a new category needs a label"
    }
    tenant, problems = check_tenant(settings, plugins, labelled)
    assert problems == []
    assert tenant is not None
    assert [c.key for c in catalog_of(plugins, tenant).categories][-1] == "upholstery"


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        (sofa(tier__price_fen=25_000), "tiers[0].price_fen"),
        (sofa(tier__price_min_fen=30_000), "tiers[0].price_fen"),
        (sofa(tier__price_min_fen=-1), "tiers[0].price_fen"),
        (sofa(tier__quantity_field="cushions"), "tiers[0].quantity_field"),
        (sofa(tier__minutes_per_unit=-30), "tiers[0].duration_minutes"),
        (sofa(tiers=[]), "tiers"),
        (sofa(key="home_cleaning"), "key"),
    ],
)
def test_a_tenants_own_item_with_a_broken_band_or_tier_is_reported(
    tmp_path: Path, settings, plugins, extra: dict[str, Any], key: str
) -> None:
    path = jiejia_with(tmp_path, {"extra_items": [extra]})

    tenant, problems = check_tenant(settings, plugins, path)

    assert tenant is None
    assert list(problem_keys(problems)) == [f"{HOUSEKEEPING}.extra_items[0].item.{key}"]


@pytest.mark.parametrize(
    ("extra", "key", "reason"),
    [
        (
            sofa(intake__kind="text"),
            "tiers[0].quantity_field",
            "'seats' must be a whole-number field",
        ),
        (sofa(intake__maximum=None), "tiers[0].quantity_field", "'seats' needs a maximum"),
        (
            sofa(intake__minimum=-2),
            "tiers[0].quantity_field",
            "'seats' needs a minimum of 0 or more",
        ),
        (
            sofa(intake__minimum=5, intake__maximum=2),
            "intake[0].maximum",
            "must not be below the minimum",
        ),
        (sofa(key="sofa.cleaning"), "key", "use lower-case letters, digits and '_'"),
        (sofa(tier__key="Standard Plus"), "tiers[0].key", "use lower-case letters, digits and '_'"),
        (sofa(tiers=[TIER, TIER]), "tiers[1].key", "'standard' is used by another tier"),
        (
            sofa(addons=[{"key": "stains", "label": {"en": "Stains"}, "price_fen": -500}]),
            "addons[0].price_fen",
            "must not be negative",
        ),
        (
            sofa(
                intake=[
                    *SOFA_CLEANING["item"]["intake"],
                    {"key": "fabric", "label": {"en": "Fabric"}, "kind": "choice"},
                ]
            ),
            "intake[1].choices",
            "a choice needs at least one option",
        ),
    ],
)
def test_a_tenants_own_item_that_could_not_be_priced_is_reported(
    tmp_path: Path, settings, plugins, extra: dict[str, Any], key: str, reason: str
) -> None:
    """An item that would crash or mis-price at quote time is refused when the YAML is read."""
    path = jiejia_with(tmp_path, {"extra_items": [extra]})

    _, problems = check_tenant(settings, plugins, path)

    assert problem_keys(problems) == {f"{HOUSEKEEPING}.extra_items[0].item.{key}": reason}


def test_a_tenants_own_item_may_be_priced_by_the_tenant_too(
    tmp_path: Path, settings, plugins
) -> None:
    path = jiejia_with(
        tmp_path,
        {"extra_items": [SOFA_CLEANING], "price_overrides_fen": {"sofa_cleaning.standard": 12_000}},
    )
    tenant, problems = check_tenant(settings, plugins, path)
    assert problems == []
    assert tenant is not None

    assert (
        price(plugins, tenant, "housekeeping.sofa_cleaning", "standard", {"seats": 2}).total_fen
        == 24_000
    )


def test_two_own_items_with_one_key_are_reported(tmp_path: Path, settings, plugins) -> None:
    path = jiejia_with(tmp_path, {"extra_items": [SOFA_CLEANING, SOFA_CLEANING]})

    _, problems = check_tenant(settings, plugins, path)

    assert problem_keys(problems) == {
        f"{HOUSEKEEPING}.extra_items[1].item.key": "'sofa_cleaning' already exists"
    }


def test_an_unknown_key_in_a_tenants_own_item_is_reported(
    tmp_path: Path, settings, plugins
) -> None:
    path = jiejia_with(tmp_path, {"extra_items": [sofa(colour="red")]})

    _, problems = check_tenant(settings, plugins, path)

    assert problem_keys(problems) == {f"{HOUSEKEEPING}.extra_items[0].item.colour": "unknown key"}


def test_a_negative_minimum_charge_is_refused(tmp_path: Path, settings, plugins) -> None:
    path = jiejia_with(tmp_path, {"minimum_charge_fen": -100})

    _, problems = check_tenant(settings, plugins, path)

    assert list(problem_keys(problems)) == [f"{HOUSEKEEPING}.minimum_charge_fen"]
