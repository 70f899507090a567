"""The admin price editor and its history: an admin changes prices inside their bands, with a
reason; customers see the change; everything is recorded. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from litestar.testing import TestClient
from piccolo.table import Table

from core.accounts.passwords import create_staff
from core.accounts.signin import start_session
from core.boot import prepare_database
from core.catalog.price_lists import change_prices, price_list
from core.catalog.tables import PriceListVersion, TierPrice
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, tenant_transaction
from core.tenancy.service import tenant_row_id
from tests.catalog.helpers import SHANGHAI, catalog_of

pytestmark = pytest.mark.db

DEEP = "housekeeping.home_cleaning.deep"
DAILY = "housekeeping.home_cleaning.daily"
ADMIN_EMAIL = "anna.admin@jiejia.example"
PASSWORD = "correct horse battery"
HISTORY = "/admin/prices/history"


class FormReader(HTMLParser):
    """What a browser would submit from the page's forms: every named input and textarea."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        name = found.get("name")
        if tag == "input" and name and found.get("type") not in {"radio", "checkbox", "submit"}:
            self.fields[name] = found.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None


def form_of(html: str) -> dict[str, str]:
    reader = FormReader()
    reader.feed(html)
    return reader.fields


async def staff_session(tenant: Tenant, email: str, roles: list[str]) -> tuple[str, str]:
    """A staff member of ``tenant`` and a signed-in session: (user id, session cookie)."""
    tenant_id = await tenant_row_id(tenant.slug)
    user_id = await create_staff(tenant_id, email, PASSWORD, roles)
    return user_id, await start_session(user_id, tenant_id)


@pytest.fixture
async def prepared(db, settings, plugins, tenants) -> None:  # type: ignore[no-untyped-def]
    """The database as ``doorstep migrate`` leaves it: tenant rows and price lists (v1)."""
    await prepare_database(settings, plugins, tenants)


@pytest.fixture
async def admin_id(prepared, jiejia: Tenant, client: TestClient) -> str:
    """``client`` is signed in as an admin of jiejia."""
    user_id, token = await staff_session(jiejia, ADMIN_EMAIL, ["admin"])
    client.cookies.set("doorstep_session", token)
    return user_id


@pytest.fixture
def english(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(
        app, base_url="http://jiejia.localhost", cookies={"doorstep_lang": "en"}
    ) as test_client:
        yield test_client


def open_editor(client: TestClient) -> dict[str, str]:
    page = client.get("/admin/prices")
    assert page.status_code == 200, page.text
    return form_of(page.text)


def save(client: TestClient, form: dict[str, str], **typed: str) -> Any:
    """Submit the editor with some fields changed (``p.<tier ref>`` for a price)."""
    return client.post("/admin/prices", data=form | typed, follow_redirects=False)


def plain(html: str) -> str:
    """The page's text without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def price_field(ref: str) -> str:
    return f"p.{ref}"


async def jiejia_rows(table: type[Table], *columns: Any) -> list[dict[str, Any]]:
    """Jiejia's rows of a price table (read in jiejia's scope: PostgreSQL's row security)."""
    tenant_id = await tenant_row_id("jiejia")
    async with tenant_transaction(tenant_id):
        return await scoped(table, tenant_id).select(*columns)


async def version_count() -> tuple[int, int]:
    """Jiejia's price-list versions and tier prices."""
    return len(await jiejia_rows(PriceListVersion)), len(await jiejia_rows(TierPrice))


def tomorrow_at_9() -> datetime:
    local = datetime.now(UTC).astimezone(SHANGHAI) + timedelta(days=1)
    return local.replace(hour=9, minute=0, second=0, microsecond=0)


# --- an admin changes a price -------------------------------------------------------------------


async def test_an_admin_raises_deep_cleaning_to_10_yuan_and_customers_see_and_pay_it(
    admin_id: str, client: TestClient, jiejia: Tenant
) -> None:
    form = open_editor(client)
    assert form[price_field(DEEP)] == "9.00"

    saved = save(client, form, **{price_field(DEEP): "10.00", "reason": "人工成本上涨"})

    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/admin/prices?saved=2"
    confirmation = client.get(saved.headers["location"])
    assert "已保存为第 2 版价格表。" in confirmation.text
    assert "新价格已生效。" in confirmation.text
    assert form_of(confirmation.text)[price_field(DEEP)] == "10.00"
    [version] = [v for v in await jiejia_rows(PriceListVersion) if v["number"] == 2]
    assert (version["source"], version["actor"], version["reason"]) == (
        "admin",
        admin_id,
        "人工成本上涨",
    )
    rows = await jiejia_rows(
        TierPrice, TierPrice.tier_ref, TierPrice.price_fen, TierPrice.previous_fen
    )
    assert [r for r in rows if r["price_fen"] != r["previous_fen"] and r["previous_fen"]] == [
        {"tier_ref": DEEP, "price_fen": 1000, "previous_fen": 900}
    ]  # one version, only the tier that changed

    item_page = client.get("/services/housekeeping/home_cleaning")
    today = datetime.now(UTC).astimezone(SHANGHAI).strftime("%Y-%m-%d")
    assert f"价格调整（{today}）：深度保洁 由 ¥9.00 调整为 ¥10.00" in item_page.text

    tomorrow = tomorrow_at_9().replace(hour=10).isoformat()
    quote = client.post(
        "/api/v1/quote",
        json={"item": "housekeeping.home_cleaning", "tier": "deep",
              "intake": {"area_m2": 120}, "when": tomorrow},
    ).json()  # fmt: skip
    assert (quote["unitPriceFen"], quote["totalFen"], quote["priceListVersion"]) == (
        1000,
        120_000,
        2,
    )


async def test_several_prices_saved_together_are_one_version(
    admin_id: str, client: TestClient, jiejia: Tenant
) -> None:
    form = open_editor(client)

    saved = save(
        client,
        form,
        **{price_field(DEEP): "10", price_field(DAILY): "¥48.5", "reason": "new season"},
    )

    assert saved.headers["location"] == "/admin/prices?saved=2"
    prices = await price_list(jiejia, datetime.now(UTC))
    assert (prices.version, prices.prices[DEEP], prices.prices[DAILY]) == (2, 1000, 4850)


async def test_the_editor_lists_every_tier_with_its_price_band_and_input(
    admin_id: str, client: TestClient, english: TestClient, plugins, jiejia: Tenant
) -> None:
    page = client.get("/admin/prices")
    english.cookies.set("doorstep_session", client.cookies["doorstep_session"])
    in_english = english.get("/admin/prices")

    fields = form_of(page.text)
    refs = catalog_of(plugins, jiejia).tier_refs()
    assert sorted(k.removeprefix("p.") for k in fields if k.startswith("p.")) == sorted(refs)
    assert "_csrf_token" in fields
    assert "深度保洁" in page.text
    assert "现价 ¥9.00/平方米" in page.text
    assert "可调范围 ¥7.00–¥14.00" in page.text
    assert "调价原因" in page.text
    assert "Deep cleaning" in in_english.text
    assert "Now CN¥9.00/m²" in in_english.text
    assert "Allowed CN¥7.00–CN¥14.00" in in_english.text
    assert "Reason for the change" in in_english.text
    assert page.headers["cache-control"] == "no-store"


# --- bad input: errors name the tier and nothing is saved ------------------------------------


async def test_a_price_outside_the_band_names_the_tier_and_saves_nothing(
    admin_id: str, client: TestClient, jiejia: Tenant
) -> None:
    form = open_editor(client)
    before = await version_count()

    refused = save(
        client,
        form,
        **{price_field(DEEP): "15.00", price_field(DAILY): "50.00", "reason": "new season"},
    )

    assert refused.status_code == 400
    assert "未保存任何修改" in refused.text
    assert "全屋保洁 · 深度保洁 请输入 ¥7.00 至 ¥14.00 之间的价格" in plain(refused.text)
    again = form_of(refused.text)
    assert (again[price_field(DEEP)], again[price_field(DAILY)]) == ("15.00", "50.00")
    assert again["reason"] == "new season"  # what the admin typed is kept
    assert re.search(r'id="tier-housekeeping-home_cleaning-deep"', refused.text)
    assert await version_count() == before
    prices = await price_list(jiejia, datetime.now(UTC))
    assert (prices.prices[DEEP], prices.prices[DAILY]) == (900, 4500)  # not even the good one


async def test_an_out_of_band_price_in_english_names_the_tier(
    admin_id: str, client: TestClient, english: TestClient
) -> None:
    english.cookies.set("doorstep_session", client.cookies["doorstep_session"])
    form = form_of(english.get("/admin/prices").text)

    refused = english.post(
        "/admin/prices", data=form | {price_field(DEEP): "6.99", "reason": "cheaper"}
    )

    assert refused.status_code == 400
    assert "Nothing was saved" in refused.text
    assert "Deep cleaning Enter a price between CN¥7.00 and CN¥14.00" in plain(refused.text)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ({price_field(DEEP): "ten"}, "深度保洁 请输入金额，例如 9.00"),
        ({price_field(DEEP): "-9"}, "深度保洁 请输入金额，例如 9.00"),
        ({price_field(DEEP): "9.001"}, "深度保洁 请输入金额，例如 9.00"),
        ({price_field(DEEP): "10.00", "reason": "  "}, "调价原因 请说明调价原因"),
        (
            {price_field(DEEP): "10.00", "effective": "2020-01-01T09:00"},
            "生效时间 请选择现在或以后的时间：已过去的价格不能修改",
        ),
        (
            {price_field(DEEP): "10.00", "effective": "tomorrow"},
            "生效时间 请输入日期和时间，留空则立即生效",
        ),
    ],
)
async def test_wrong_fields_are_named_and_nothing_is_saved(
    admin_id: str, client: TestClient, typed: dict[str, str], message: str
) -> None:
    form = open_editor(client) | {"reason": "new season"}
    before = await version_count()

    refused = save(client, form, **typed)

    assert refused.status_code == 400
    assert message in plain(refused.text)
    assert await version_count() == before


async def test_saving_the_form_unchanged_writes_no_version(
    admin_id: str, client: TestClient
) -> None:
    form = open_editor(client)
    before = await version_count()

    answer = save(client, form, reason="just looking")

    assert answer.status_code == 200
    assert "没有修改任何价格，因此未保存。" in answer.text
    assert await version_count() == before


async def test_a_change_made_meanwhile_by_someone_else_is_not_undone(
    admin_id: str, client: TestClient, plugins, jiejia: Tenant
) -> None:
    """The form sends only the prices its admin changed, not the stale ones it was opened with."""
    form = open_editor(client)
    await change_prices(
        jiejia, catalog_of(plugins, jiejia), {DEEP: 1100}, actor="cli", reason="agency"
    )

    saved = save(client, form, **{price_field(DAILY): "50.00", "reason": "new season"})

    assert saved.status_code == 303
    prices = await price_list(jiejia, datetime.now(UTC))
    assert (prices.version, prices.prices[DEEP], prices.prices[DAILY]) == (3, 1100, 5000)


async def test_a_change_scheduled_for_tomorrow_applies_tomorrow(
    admin_id: str, client: TestClient, jiejia: Tenant
) -> None:
    form = open_editor(client)
    tomorrow = tomorrow_at_9()

    saved = save(
        client,
        form,
        **{
            price_field(DEEP): "10.00",
            "reason": "from tomorrow",
            "effective": tomorrow.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    page = client.get(saved.headers["location"])

    day = tomorrow.strftime("%Y-%m-%d")
    assert f"新价格将于 {day} 09:00 生效。" in page.text
    assert f"已排期：{day} 09:00 起 ¥10.00" in page.text
    assert form_of(page.text)[price_field(DEEP)] == "9.00"  # still today's price
    assert (await price_list(jiejia, datetime.now(UTC))).prices[DEEP] == 900
    assert (await price_list(jiejia, tomorrow + timedelta(minutes=1))).prices[DEEP] == 1000


# --- who may ----------------------------------------------------------------------------------


async def test_support_staff_are_refused(prepared, client: TestClient, jiejia: Tenant) -> None:
    _, token = await staff_session(jiejia, "sam.support@jiejia.example", ["support"])
    client.cookies.set("doorstep_session", token)

    assert client.get("/admin/prices").status_code == 403
    assert client.get(HISTORY).status_code == 403


async def test_a_signed_out_visitor_is_sent_to_the_staff_sign_in(
    prepared, client: TestClient
) -> None:
    editor = client.get("/admin/prices", follow_redirects=False)
    history = client.get(HISTORY, follow_redirects=False)

    assert editor.status_code in {302, 303}
    assert editor.headers["location"] == "/staff/signin?next=%2Fadmin%2Fprices"
    assert history.headers["location"] == "/staff/signin?next=%2Fadmin%2Fprices%2Fhistory"


async def test_a_jiejia_admin_is_not_signed_in_on_wanjia(admin_id: str, client: TestClient) -> None:
    answer = client.get(
        "/admin/prices", headers={"host": "wanjia.localhost"}, follow_redirects=False
    )

    assert answer.headers["location"].startswith("/staff/signin")


async def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    admin_id: str, client: TestClient
) -> None:
    form = open_editor(client)
    form.pop("_csrf_token")
    before = await version_count()

    refused = save(client, form, **{price_field(DEEP): "10.00", "reason": "forged"})
    forged = save(
        client, form, **{price_field(DEEP): "10.00", "reason": "forged", "_csrf_token": "x" * 64}
    )

    assert (refused.status_code, forged.status_code) == (403, 403)
    assert await version_count() == before


# --- the history ------------------------------------------------------------------------------


async def test_the_history_lists_who_changed_what_and_why(
    admin_id: str, client: TestClient, english: TestClient, plugins, jiejia: Tenant
) -> None:
    save(client, open_editor(client), **{price_field(DEEP): "10.00", "reason": "人工成本上涨"})
    await change_prices(
        jiejia, catalog_of(plugins, jiejia), {DAILY: 5000}, actor="cli", reason="agency update"
    )
    english.cookies.set("doorstep_session", client.cookies["doorstep_session"])

    page = client.get(HISTORY)
    in_english = english.get(HISTORY)

    assert page.status_code == 200
    text = plain(page.text)
    assert "第 3 版 管理员 生效时间" in text
    assert "修改人 命令行（doorstep prices set） 原因 agency update" in text
    assert "全屋保洁 · 日常保洁 ¥45.00 → ¥50.00" in text
    assert "第 2 版 管理员" in text
    assert "修改人 a***@jiejia.example 原因 人工成本上涨" in text
    assert "全屋保洁 · 深度保洁 ¥9.00 → ¥10.00" in text
    assert "第 1 版 租户配置" in text
    assert "修改人 租户配置 原因 初始价格表" in text
    assert ADMIN_EMAIL not in page.text  # masked, never in clear
    assert text.index("第 3 版") < text.index("第 2 版") < text.index("第 1 版")
    today = datetime.now(UTC).astimezone(SHANGHAI).strftime("%Y-%m-%d")
    assert f"生效时间 {today} " in text

    english_text = plain(in_english.text)
    assert "Version 2 Admin Takes effect" in english_text
    assert "Changed by a***@jiejia.example Reason 人工成本上涨" in english_text
    assert "Whole-home cleaning · Deep cleaning CN¥9.00 → CN¥10.00" in english_text
    assert "Changed by Tenant configuration Reason Initial price list" in english_text


async def test_the_history_is_paged_newest_first(
    admin_id: str, client: TestClient, plugins, jiejia: Tenant
) -> None:
    catalog = catalog_of(plugins, jiejia)
    for n in range(21):  # versions 2..22
        await change_prices(jiejia, catalog, {DEEP: 1000 + n}, actor="cli", reason=f"step {n}")

    first = client.get(HISTORY).text
    second = client.get(f"{HISTORY}?page=2").text

    assert "第 22 版" in first and "第 3 版" in first and "第 2 版" not in first
    assert 'href="/admin/prices/history?page=2"' in first
    assert "第 2 版" in second and "第 1 版" in second and "第 3 版" not in second
    assert 'href="/admin/prices/history"' in second


async def test_a_tenant_with_four_verticals_edits_each_one_separately(
    prepared, client: TestClient, plugins, wanjia: Tenant, jiejia: Tenant
) -> None:
    _, token = await staff_session(wanjia, "wu.admin@wanjia.example", ["admin"])
    client.cookies.set("doorstep_session", token)
    wanjia_host = {"host": "wanjia.localhost"}
    page = client.get("/admin/prices", headers=wanjia_host)
    form = form_of(page.text)
    lock = "locksmith.lock_change.grade_c"
    assert lock in catalog_of(plugins, wanjia).tier_refs()

    for slug, label in [("housekeeping", "家政保洁"), ("repair", "家电维修"),
                        ("tutoring", "家教辅导"), ("locksmith", "开锁换锁")]:  # fmt: skip
        assert f'<a class="chip" href="#prices-{slug}">{label}</a>' in page.text
        assert f'id="prices-{slug}">{label}</h2>' in page.text
    saved = client.post(
        "/admin/prices",
        data=form | {price_field(lock): "300", "reason": "新锁芯进价上涨"},
        headers=wanjia_host,
        follow_redirects=False,
    )

    assert saved.headers["location"] == "/admin/prices?saved=2"
    assert (await price_list(wanjia, datetime.now(UTC))).prices[lock] == 30000
    assert (await price_list(jiejia, datetime.now(UTC))).version == 1
