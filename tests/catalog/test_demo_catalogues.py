"""Both demo tenants show a full, realistic catalogue, in Chinese and in English."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient
from markupsafe import escape

from core.boot import prepare_database
from core.catalog.model import tier_problems
from core.catalog.service import catalog_problems
from core.tenancy.model import Tenant
from tests.catalog.helpers import catalog_of

WANJIA = {"host": "wanjia.localhost"}


def shown(text: str) -> str:
    """``text`` as the page writes it (escaped by Jinja)."""
    return str(escape(text))


VERTICALS = {"housekeeping", "repair", "tutoring", "locksmith"}


def test_the_demo_tenants_have_no_catalogue_problems(plugins, jiejia, wanjia) -> None:  # type: ignore[no-untyped-def]
    assert catalog_problems(plugins, jiejia) == []
    assert catalog_problems(plugins, wanjia) == []


def test_jiejia_offers_housekeeping_only(plugins, jiejia: Tenant) -> None:
    catalog = catalog_of(plugins, jiejia)

    assert {c.vertical for c in catalog.categories} == {"housekeeping"}
    assert {i.key for i in catalog.items} == {
        "home_cleaning",
        "kitchen_cleaning",
        "appliance_cleaning",
        "hourly_help",
        "organising",
    }


def test_wanjia_offers_all_four_verticals(plugins, wanjia: Tenant) -> None:
    catalog = catalog_of(plugins, wanjia)
    per_vertical = {v: [i for i in catalog.items if i.vertical == v] for v in VERTICALS}

    assert {v: len(items) >= 3 for v, items in per_vertical.items()} == dict.fromkeys(
        VERTICALS, True
    )


def test_every_service_is_described_in_chinese_and_english_with_contents_and_a_band(
    plugins, wanjia: Tenant
) -> None:
    for category in catalog_of(plugins, wanjia).categories:
        assert category.label.get("zh_CN") and category.label.get("en"), category.key
        for item in category.items:
            assert item.label.get("zh_CN") and item.label.get("en"), item.ref
            assert tier_problems(item) == [], item.ref  # the rules a tenant's own item obeys
            for tier in item.tiers:
                where = f"{item.ref}.{tier.key}"
                assert tier.label.get("zh_CN") and tier.label.get("en"), where
                assert tier.contents, f"{where} lists what is included"
                assert all(
                    c.get("zh_CN") and c.get("en") for c in [*tier.contents, *tier.excluded]
                ), where
                assert tier.price_min_fen < tier.price_max_fen, where
                assert tier.duration_minutes + tier.minutes_per_unit > 0, f"{where} takes time"
            for question in item.intake:
                assert question.label.get("zh_CN") and question.label.get("en"), question.key
                for key, choice in question.choices.items():
                    assert choice.get("zh_CN") and choice.get("en"), f"{item.ref}: {key}"


def texts(plugins, tenant: Tenant) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every text of the catalogue a customer reads, as ``(where, text)``."""
    found = []
    for category in catalog_of(plugins, tenant).categories:
        found += [(category.key, t) for t in category.label.values()]
        for item in category.items:
            localized = [item.label, item.description]
            for tier in item.tiers:
                localized += [tier.label, *tier.contents, *tier.excluded]
            for question in item.intake:
                localized += [question.label, *question.choices.values()]
            localized += [a.label for a in item.addons]
            found += [(item.ref, t) for words in localized for t in words.values()]
    return found


def test_no_text_is_wrapped_in_stray_quote_marks(plugins, wanjia: Tenant) -> None:
    quoted = [(where, t) for where, t in texts(plugins, wanjia) if t.startswith(('"', "'", "“"))]

    assert quoted == []


@pytest.fixture
async def prepared(db, settings, plugins, tenants) -> None:  # type: ignore[no-untyped-def]
    await prepare_database(settings, plugins, tenants)


@pytest.mark.db
async def test_list_services_on_jiejia_lists_only_housekeeping(
    prepared, client: TestClient
) -> None:
    categories = client.get("/api/v1/services").json()

    assert {c["vertical"] for c in categories} == {"housekeeping"}
    services = {s["ref"]: s for c in categories for s in c["services"]}
    # the "from" price is the lowest list price with its unit: deep cleaning at ¥9 per m2
    home = services["housekeeping.home_cleaning"]
    assert (home["fromPriceFen"], home["unit"]) == (900, "m2")
    kitchen = services["housekeeping.kitchen_cleaning"]
    assert (kitchen["fromPriceFen"], kitchen["unit"]) == (19_900, "visit")


@pytest.mark.db
async def test_list_services_on_wanjia_lists_all_four_verticals(
    prepared, plugins, wanjia: Tenant, client: TestClient
) -> None:
    categories = client.get("/api/v1/services", headers=WANJIA).json()

    assert {c["vertical"] for c in categories} == VERTICALS
    listed = sorted(s["ref"] for c in categories for s in c["services"])
    assert listed == sorted(i.ref for i in catalog_of(plugins, wanjia).items)


@pytest.mark.db
async def test_get_service_describes_tiers_questions_add_ons_and_requirements(
    prepared, client: TestClient
) -> None:
    body = client.get("/api/v1/services/housekeeping/home_cleaning").json()

    deep = next(t for t in body["tiers"] if t["key"] == "deep")
    assert (deep["unit"], deep["priceFen"], deep["priceMinFen"], deep["priceMaxFen"]) == (
        "m2",
        900,
        700,
        1400,
    )
    assert {"zh_CN": "地毯深度清洗", "en": "Deep carpet shampooing"} in deep["excluded"]
    assert [q["key"] for q in body["intake"]] == ["area_m2", "hours", "pets"]
    assert [(a["key"], a["priceFen"]) for a in body["addons"]] == [
        ("windows", 6000),
        ("dust_mite", 8000),
        ("fridge", 5000),
    ]
    assert {r["code"] for r in body["requirements"]} == {
        "health_certificate",
        "housekeeping_training",
    }
    assert body["priceListVersion"] == 1


@pytest.mark.db
async def test_the_services_page_is_in_chinese_by_default(prepared, client: TestClient) -> None:
    page = client.get("/services")

    assert page.status_code == 200
    assert 'lang="zh-CN"' in page.text
    for label in ("全屋保洁", "厨房深度清洁", "家电清洗", "钟点工", "收纳整理"):
        assert label in page.text
    assert "Whole-home cleaning" not in page.text


@pytest.mark.db
async def test_the_services_page_is_in_english_with_the_language_cookie(
    prepared, english: TestClient
) -> None:
    page = english.get("/services")

    assert page.status_code == 200
    assert 'lang="en"' in page.text
    for label in ("Whole-home cleaning", "Kitchen deep clean", "Hourly home help"):
        assert label in page.text
    assert "全屋保洁" not in page.text


@pytest.mark.db
async def test_wanjias_services_page_shows_every_vertical_in_both_languages(
    prepared, plugins, wanjia: Tenant, client: TestClient, english: TestClient
) -> None:
    chinese = client.get("/services", headers=WANJIA).text
    in_english = english.get("/services", headers=WANJIA).text

    for slug in VERTICALS:
        vertical = plugins.verticals[slug]
        assert shown(vertical.label["zh_CN"]) in chinese, slug
        assert shown(vertical.label["en"]) in in_english, slug
    for item in catalog_of(plugins, wanjia).items:
        assert f'href="/services/{item.vertical}/{item.key}"' in chinese, item.ref
        assert shown(item.label["zh_CN"]) in chinese, item.ref
        assert shown(item.label["en"]) in in_english, item.ref


@pytest.mark.db
async def test_every_item_page_of_wanjia_renders_in_both_languages(
    prepared, plugins, wanjia: Tenant, client: TestClient, english: TestClient
) -> None:
    for item in catalog_of(plugins, wanjia).items:
        path = f"/services/{item.vertical}/{item.key}"
        chinese = client.get(path, headers=WANJIA)
        in_english = english.get(path, headers=WANJIA)

        assert chinese.status_code == 200, path
        assert in_english.status_code == 200, path
        assert shown(item.label["zh_CN"]) in chinese.text, path
        assert shown(item.label["en"]) in in_english.text, path
        for tier in item.tiers:
            assert shown(tier.label["zh_CN"]) in chinese.text, f"{path} {tier.key}"
            assert shown(tier.contents[0]["en"]) in in_english.text, f"{path} {tier.key}"


@pytest.mark.db
async def test_an_item_page_shows_who_may_do_the_job(
    prepared, client: TestClient, english: TestClient
) -> None:
    socket = client.get("/services/repair/socket_switch", headers=WANJIA).text
    unlock = english.get("/services/locksmith/door_unlock", headers=WANJIA).text

    assert "特种作业操作证（电工）" in socket
    assert "Police filing" in unlock


@pytest.mark.db
async def test_a_service_of_another_tenant_is_not_found_on_jiejia(
    prepared, client: TestClient
) -> None:
    assert client.get("/services/repair/faucet_replace").status_code == 404
    assert client.get("/services/repair/faucet_replace", headers=WANJIA).status_code == 200
