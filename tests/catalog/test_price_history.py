"""Price history: every change is a new version, an old quote can be recomputed exactly, and
for 30 days the item page says what changed. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient

from core.catalog.price_lists import change_prices, price_list, sync_config_prices
from core.catalog.pricing import QuoteError, quote
from core.catalog.service import build_catalog, quote_now
from core.catalog.tables import PriceListVersion, TierPrice
from core.tenancy.model import Tenant
from plugins.housekeeping.config import HousekeepingConfig
from tests.catalog.helpers import NOW, catalog_of, shanghai
from tests.tenant_access import all_tenants

pytestmark = pytest.mark.db

DEEP = "housekeeping.home_cleaning.deep"
DAILY = "housekeeping.home_cleaning.daily"
HOME = "housekeeping.home_cleaning"
LAUNCH = NOW - timedelta(days=60)
"""When the demo tenants' price lists were first recorded."""


@pytest.fixture
async def launched(demo_rows, plugins, tenants) -> None:  # type: ignore[no-untyped-def]
    """Both demo tenants with their catalogue prices recorded as version 1, 60 days ago."""
    for tenant in tenants:
        await sync_config_prices(tenant, catalog_of(plugins, tenant), LAUNCH)


async def versions(tenant: Tenant) -> list[tuple[int, str]]:
    async with all_tenants():
        rows = await PriceListVersion.select(
            PriceListVersion.number, PriceListVersion.source, PriceListVersion.tenant.slug
        ).order_by(PriceListVersion.number)
    return [(r["number"], r["source"]) for r in rows if r["tenant.slug"] == tenant.slug]


async def stored() -> tuple[int, int]:
    """How many versions and tier prices are stored, for every tenant."""
    async with all_tenants():
        return await PriceListVersion.count(), await TierPrice.count()


async def raise_deep_to(plugins, tenant: Tenant, fen: int, when: datetime) -> int:  # type: ignore[no-untyped-def]
    return await change_prices(
        tenant,
        catalog_of(plugins, tenant),
        {DEEP: fen},
        actor="admin@jiejia",
        reason="labour costs rose",
        effective_at=when,
        now=when,
    )


async def test_the_first_sync_records_version_1_from_the_catalogue(
    demo_rows, plugins, jiejia: Tenant
) -> None:
    catalog = catalog_of(plugins, jiejia)

    number = await sync_config_prices(jiejia, catalog, LAUNCH)
    prices = await price_list(jiejia, NOW)

    assert number == 1
    assert await versions(jiejia) == [(1, "config")]
    assert prices.version == 1
    assert prices.prices == catalog.list_prices()
    assert prices.prices[DEEP] == 900
    assert prices.recent_changes == []


async def test_a_price_list_before_its_first_version_is_empty(launched, jiejia: Tenant) -> None:
    before = await price_list(jiejia, LAUNCH - timedelta(seconds=1))

    assert (before.version, before.prices) == (0, {})


async def test_a_price_change_within_the_band_is_version_2_and_new_quotes_use_it(
    launched, plugins, jiejia: Tenant
) -> None:
    number = await raise_deep_to(plugins, jiejia, 1000, NOW - timedelta(days=1))

    found = await quote_now(
        plugins,
        jiejia,
        catalog_of(plugins, jiejia),
        item=HOME,
        tier="deep",
        intake={"area_m2": 120},
        when=shanghai(1, 10),
        now=NOW,
    )

    assert number == 2
    assert await versions(jiejia) == [(1, "config"), (2, "admin")]
    assert found.unit_price_fen == 1000
    assert found.total_fen == 120_000
    assert found.price_list_version == 2


async def test_each_tenants_prices_are_its_own(launched, plugins, jiejia, wanjia) -> None:  # type: ignore[no-untyped-def]
    await raise_deep_to(plugins, jiejia, 1000, NOW)

    assert (await price_list(jiejia, NOW)).prices[DEEP] == 1000
    assert (await price_list(wanjia, NOW)).prices[DEEP] == 900
    assert (await price_list(wanjia, NOW)).version == 1


@pytest.mark.parametrize("fen", [699, 1401, -900])
async def test_a_price_outside_the_band_is_refused_and_nothing_is_saved(
    launched, plugins, jiejia: Tenant, fen: int
) -> None:
    before = await stored()

    with pytest.raises(QuoteError) as refused:
        await change_prices(
            jiejia,
            catalog_of(plugins, jiejia),
            {DAILY: 5000, DEEP: fen},
            actor="admin@jiejia",
            reason="new season",
            now=NOW,
        )

    assert [(p.field, p.reason) for p in refused.value.problems] == [
        (f"prices.{DEEP}", f"{fen} fen is outside the band 700-1400 fen")
    ]
    assert await stored() == before
    assert (await price_list(jiejia, NOW)).prices[DAILY] == 4500  # the good one was not kept


async def test_prices_for_unknown_tiers_or_without_a_reason_are_refused(
    launched, plugins, jiejia: Tenant
) -> None:
    before = (await stored())[0]

    with pytest.raises(QuoteError) as refused:
        await change_prices(
            jiejia,
            catalog_of(plugins, jiejia),
            {"housekeeping.home_cleaning.luxury": 2000, "repair.faucet_replace.standard": 6000},
            actor="admin@jiejia",
            reason="  ",
            now=NOW,
        )

    assert sorted(p.field for p in refused.value.problems) == [
        "prices.housekeeping.home_cleaning.luxury",
        "prices.repair.faucet_replace.standard",
        "reason",
    ]
    assert (await stored())[0] == before


async def test_changing_to_the_same_price_writes_nothing(launched, plugins, jiejia) -> None:  # type: ignore[no-untyped-def]
    before = await stored()

    number = await raise_deep_to(plugins, jiejia, 900, NOW)

    assert number == 0
    assert await stored() == before


async def test_an_old_quote_is_recomputed_exactly_from_its_price_list_version(
    launched, plugins, jiejia: Tenant
) -> None:
    catalog = catalog_of(plugins, jiejia)
    intake = {"area_m2": 120}
    when = shanghai(1, 10)
    booked = await quote_now(
        plugins,
        jiejia,
        catalog,
        item=HOME,
        tier="deep",
        intake=intake,
        when=when,
        addons=["windows"],
        now=NOW,
    )
    await raise_deep_to(plugins, jiejia, 1200, NOW + timedelta(minutes=5))

    old = await price_list(jiejia, NOW + timedelta(days=1), version=booked.price_list_version)
    recomputed = quote(
        catalog,
        plugins.for_tenant(jiejia),
        item=HOME,
        tier="deep",
        intake=intake,
        when=when,
        now=NOW,
        addons=["windows"],
        prices=old.prices,
        price_list_version=old.version,
    )
    today = await quote_now(
        plugins,
        jiejia,
        catalog,
        item=HOME,
        tier="deep",
        intake=intake,
        when=when,
        addons=["windows"],
        now=NOW + timedelta(minutes=10),
    )

    assert booked.price_list_version == 1
    assert recomputed == booked
    assert today.total_fen == 120 * 1200 + 6000 != booked.total_fen


async def test_a_price_change_is_news_for_30_days_and_then_not(
    launched, plugins, jiejia: Tenant
) -> None:
    changed_at = NOW - timedelta(days=2)
    await raise_deep_to(plugins, jiejia, 1000, changed_at)

    [change] = (await price_list(jiejia, changed_at + timedelta(days=30))).recent_changes
    later = await price_list(jiejia, changed_at + timedelta(days=31))

    assert (change.tier_ref, change.old_fen, change.new_fen) == (DEEP, 900, 1000)
    assert change.effective_at == changed_at
    assert later.recent_changes == []
    assert later.prices[DEEP] == 1000  # the price stays, only the notice goes


async def test_only_the_latest_change_of_a_tier_is_shown(launched, plugins, jiejia) -> None:  # type: ignore[no-untyped-def]
    await raise_deep_to(plugins, jiejia, 1000, NOW - timedelta(days=10))
    await raise_deep_to(plugins, jiejia, 1100, NOW - timedelta(days=3))

    changes = (await price_list(jiejia, NOW)).recent_changes

    assert [(c.old_fen, c.new_fen) for c in changes] == [(1000, 1100)]


async def test_a_change_effective_tomorrow_is_not_in_force_today(
    launched, plugins, jiejia: Tenant
) -> None:
    tomorrow = NOW + timedelta(days=1)
    await change_prices(
        jiejia,
        catalog_of(plugins, jiejia),
        {DEEP: 1000},
        actor="admin",
        reason="from tomorrow",
        effective_at=tomorrow,
        now=NOW,
    )

    assert (await price_list(jiejia, NOW)).prices[DEEP] == 900
    assert (await price_list(jiejia, tomorrow)).prices[DEEP] == 1000


def jiejia_priced(jiejia: Tenant, overrides: dict[str, int]) -> Tenant:
    """Jiejia after its YAML set these list prices."""
    block = HousekeepingConfig(minimum_charge_fen=9900, price_overrides_fen=overrides)
    return dataclasses.replace(jiejia, vertical_configs={"housekeeping": block})


async def test_a_yaml_price_change_is_recorded_once_as_a_new_config_version(
    launched, plugins, jiejia: Tenant
) -> None:
    edited = jiejia_priced(jiejia, {"home_cleaning.deep": 1000})
    catalog, problems = build_catalog(plugins, edited)
    assert problems == []

    first = await sync_config_prices(edited, catalog, NOW)
    again = await sync_config_prices(edited, catalog, NOW + timedelta(hours=1))
    prices = await price_list(jiejia, NOW + timedelta(hours=2))

    assert (first, again) == (2, 0)
    assert await versions(jiejia) == [(1, "config"), (2, "config")]
    assert prices.prices[DEEP] == 1000
    assert [(c.tier_ref, c.old_fen, c.new_fen) for c in prices.recent_changes] == [
        (DEEP, 900, 1000)
    ]
    async with all_tenants():
        rows = await TierPrice.select(TierPrice.tier_ref).where(TierPrice.version.number == 2)
    assert [r["tier_ref"] for r in rows] == [DEEP]  # only what changed


async def test_an_admin_price_survives_a_restart_with_an_unchanged_yaml(
    launched, plugins, jiejia: Tenant
) -> None:
    await raise_deep_to(plugins, jiejia, 1100, NOW)

    assert (
        await sync_config_prices(jiejia, catalog_of(plugins, jiejia), NOW + timedelta(hours=1)) == 0
    )
    assert (await price_list(jiejia, NOW + timedelta(hours=2))).prices[DEEP] == 1100


async def test_two_price_changes_at_once_get_two_version_numbers(
    launched, plugins, jiejia: Tenant
) -> None:
    catalog = catalog_of(plugins, jiejia)

    numbers = await asyncio.gather(
        change_prices(jiejia, catalog, {DEEP: 1000}, actor="anna", reason="a", now=NOW),
        change_prices(jiejia, catalog, {DAILY: 5000}, actor="bo", reason="b", now=NOW),
        change_prices(jiejia, catalog, {DEEP: 1100, DAILY: 5500}, actor="cai", reason="c", now=NOW),
    )

    assert sorted(numbers) == [2, 3, 4]
    assert await versions(jiejia) == [(1, "config"), (2, "admin"), (3, "admin"), (4, "admin")]


async def test_two_first_syncs_at_once_record_one_initial_price_list(
    demo_rows, plugins, jiejia: Tenant
) -> None:
    """Two web workers starting together both run the start-up sync."""
    catalog = catalog_of(plugins, jiejia)

    numbers = await asyncio.gather(
        sync_config_prices(jiejia, catalog, LAUNCH), sync_config_prices(jiejia, catalog, LAUNCH)
    )

    assert sorted(numbers) == [0, 1]
    assert await versions(jiejia) == [(1, "config")]


# --- what the customer sees ---------------------------------------------------------------------


async def test_the_item_page_and_get_service_show_a_change_made_3_days_ago(
    launched, plugins, jiejia: Tenant, client: TestClient, english: TestClient
) -> None:
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    await raise_deep_to(plugins, jiejia, 1000, three_days_ago)
    day = three_days_ago.astimezone(jiejia_zone(jiejia)).strftime("%Y-%m-%d")

    page = client.get("/services/housekeeping/home_cleaning")
    in_english = english.get("/services/housekeeping/home_cleaning")
    api = client.get("/api/v1/services/housekeeping/home_cleaning").json()

    assert page.status_code == 200
    assert f"价格调整（{day}）：深度保洁 由 ¥9.00 调整为 ¥10.00" in page.text
    assert f"Price changed on {day}: Deep cleaning CN¥9.00 → CN¥10.00" in in_english.text
    [change] = api["recentPriceChanges"]
    assert (change["tier"], change["oldFen"], change["newFen"]) == ("deep", 900, 1000)
    assert change["effectiveAt"].startswith(three_days_ago.strftime("%Y-%m-%dT"))
    assert api["priceListVersion"] == 2
    assert next(t for t in api["tiers"] if t["key"] == "deep")["priceFen"] == 1000


async def test_a_change_made_31_days_ago_is_no_longer_shown(
    launched, plugins, jiejia: Tenant, client: TestClient
) -> None:
    await raise_deep_to(plugins, jiejia, 1000, datetime.now(UTC) - timedelta(days=31))

    page = client.get("/services/housekeeping/home_cleaning")
    api = client.get("/api/v1/services/housekeeping/home_cleaning").json()

    assert "价格调整" not in page.text
    assert api["recentPriceChanges"] == []
    assert next(t for t in api["tiers"] if t["key"] == "deep")["priceFen"] == 1000


def jiejia_zone(tenant: Tenant):  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo(tenant.config.timezone)
