"""The quote API: an itemised price in fen, or 400 naming each wrong field, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from core.boot import prepare_database
from tests.catalog.helpers import SHANGHAI

pytestmark = pytest.mark.db

HOME = "housekeeping.home_cleaning"
WANJIA = {"host": "wanjia.localhost"}


@pytest.fixture
async def prepared(db, settings, plugins, tenants) -> None:  # type: ignore[no-untyped-def]
    """The database as ``doorstep migrate`` leaves it: tenant rows and price lists."""
    await prepare_database(settings, plugins, tenants)


def tomorrow_at(hour: int) -> str:
    """Tomorrow (by the real clock: the API prices "now") at ``hour`` Shanghai time."""
    local = datetime.now(UTC).astimezone(SHANGHAI) + timedelta(days=1)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


def post_quote(client: TestClient, headers: dict[str, str] | None = None, **body: Any) -> Any:
    return client.post("/api/v1/quote", json=body, headers=headers or {})


async def test_a_quote_is_itemised_in_fen_with_its_price_list_version(
    prepared, client: TestClient
) -> None:
    response = post_quote(
        client,
        item=HOME,
        tier="deep",
        intake={"area_m2": 120},
        addons=["windows"],
        when=tomorrow_at(10),
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert [(line["code"], line["kind"], line["amountFen"]) for line in body["lines"]] == [
        ("base", "base", 108_000),
        ("addon.windows", "addon", 6000),
    ]
    assert body["lines"][0]["label"] == {"zh_CN": "深度保洁", "en": "Deep cleaning"}
    assert (body["totalFen"], body["currency"], body["totalText"]) == (114_000, "CNY", "¥1,140.00")
    assert (body["unitPriceFen"], body["quantity"]) == (900, 120)
    assert body["priceListVersion"] == 1
    assert body["intake"] == {"area_m2": 120, "pets": False}


async def test_the_quoted_time_comes_back_in_utc(prepared, client: TestClient) -> None:
    when = tomorrow_at(23)

    body = post_quote(
        client, WANJIA, item="repair.faucet_replace", tier="standard", when=when
    ).json()

    assert datetime.fromisoformat(body["when"]) == datetime.fromisoformat(when)
    assert body["when"].endswith(("Z", "+00:00"))
    assert [line["code"] for line in body["lines"]][-1] == "repair.night_surcharge"


async def test_jiejias_minimum_charge_shows_as_its_own_line(prepared, client: TestClient) -> None:
    body = post_quote(client, item=HOME, tier="daily", intake={"area_m2": 40, "hours": 2}).json()

    assert [(line["code"], line["amountFen"]) for line in body["lines"]] == [
        ("base", 9000),
        ("housekeeping.minimum_charge", 900),
    ]
    assert body["totalFen"] == 9900


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"tier": "deep", "intake": {"area_m2": -5}}, ["intake.area_m2"]),
        ({"tier": "deep", "intake": {"area_m2": 100_000}}, ["intake.area_m2"]),
        ({"tier": "deep", "intake": {"area_m2": "abc"}}, ["intake.area_m2"]),
        ({"tier": "deep", "intake": {"area_m2": 3.5}}, ["intake.area_m2"]),
        ({"tier": "deep", "intake": {"area_m2": 80, "floors": 2}}, ["intake.floors"]),
        ({"tier": "daily", "intake": {"area_m2": 80, "hours": 12}}, ["intake.hours"]),
        ({"tier": "spotless", "intake": {"area_m2": 80}}, ["tier"]),
        (
            {"tier": "deep", "intake": {"area_m2": 80}, "addons": ["gold_leaf"]},
            ["addons.gold_leaf"],
        ),
        ({"tier": "deep", "intake": {"area_m2": 80}, "when": "2030-01-01T10:00:00"}, ["when"]),
        (
            {"tier": "deep", "intake": {"area_m2": 80}, "when": "2020-01-01T10:00:00+08:00"},
            ["when"],
        ),
        (
            {"tier": "deep", "intake": {"area_m2": -5, "pets": "no"}, "addons": ["gold_leaf"]},
            ["addons.gold_leaf", "intake.area_m2", "intake.pets"],
        ),
    ],
)
async def test_bad_input_is_a_400_naming_each_field(
    prepared, client: TestClient, body: dict[str, Any], fields: list[str]
) -> None:
    response = post_quote(client, item=HOME, **body)

    assert response.status_code == 400, response.text
    assert sorted(p["field"] for p in response.json()["problems"]) == fields


async def test_an_unknown_service_is_a_400_naming_the_item(prepared, client: TestClient) -> None:
    response = post_quote(client, item="housekeeping.sofa", tier="standard")

    assert response.status_code == 400
    assert response.json()["problems"] == [
        {"field": "item", "reason": "unknown service 'housekeeping.sofa'"}
    ]


async def test_jiejia_offers_no_repairs_even_though_wanjia_does(
    prepared, client: TestClient
) -> None:
    tap = {"item": "repair.faucet_replace", "tier": "standard"}

    assert post_quote(client, **tap).status_code == 400
    assert post_quote(client, WANJIA, **tap).status_code == 200


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b'{"item": ', "body"),
        (b"", "body"),
        (b"[1, 2]", "body"),
        (b'"deep cleaning"', "body"),
        (b'{"tier": "deep"}', "item"),
        (b'{"item": "housekeeping.home_cleaning"}', "tier"),
        (b'{"item": 5, "tier": "deep"}', "item"),
        (b'{"item": "housekeeping.home_cleaning", "tier": "deep", "colour": "red"}', "colour"),
        (b'{"item": "housekeeping.home_cleaning", "tier": "deep", "addons": "windows"}', "addons"),
        (
            b'{"item": "housekeeping.home_cleaning", "tier": "deep", "addons": ["windows", 1]}',
            "addons[1]",
        ),
        (b'{"item": "housekeeping.home_cleaning", "tier": "deep", "intake": [120]}', "intake"),
        (b'{"item": "housekeeping.home_cleaning", "tier": "deep", "when": "tomorrow"}', "when"),
    ],
)
async def test_a_malformed_request_is_a_400_naming_what_is_wrong(
    prepared, client: TestClient, content: bytes, field: str
) -> None:
    response = client.post(
        "/api/v1/quote", content=content, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400, response.text
    assert [p["field"] for p in response.json()["problems"]] == [field]


async def test_an_unknown_service_page_in_the_api_is_a_404(prepared, client: TestClient) -> None:
    response = client.get("/api/v1/services/housekeeping/ironing")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
