"""The demo geocoder knows the demo cities' streets: Shanghai for Jiejia, Hangzhou for Wanjia."""

from __future__ import annotations

import pytest

from core.dispatch.demo_geocoder import KNOWN, DemoGeocoder
from core.dispatch.schemas import Place
from core.plugins import build_plugin_manager
from core.tenancy.model import Tenant

BOXES = {
    # city: (south, north, west, east), generous WGS-84 boxes around each city
    "上海": (30.6, 31.9, 120.8, 122.0),
    "杭州": (29.9, 30.6, 119.7, 120.6),
}


@pytest.mark.parametrize("city", sorted(KNOWN))
def test_each_demo_city_has_fifteen_real_looking_addresses_inside_it(city: str) -> None:
    entries = KNOWN[city]
    south, north, west, east = BOXES[city]

    assert len(entries) == 15
    assert len({street for _, street, _, _ in entries}) == 15
    for district, street, lat, lng in entries:
        assert district.endswith("区"), district
        assert street.endswith(("号", "弄")), street
        assert south < lat < north and west < lng < east, (street, lat, lng)


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("上海市浦东新区世纪大道100号 38楼", Place(lat=31.2347, lng=121.5050, district="浦东新区")),
        ("静安区 南京西路 1266 号", Place(lat=31.2290, lng=121.4530, district="静安区")),
        (
            "杭州市西湖区文三路４７８号华星时代广场",
            Place(lat=30.2780, lng=120.1330, district="西湖区"),
        ),
        ("滨江区江南大道3888号6幢1501室", Place(lat=30.2060, lng=120.2130, district="滨江区")),
    ],
    ids=["shanghai", "spaces", "full-width-digits", "hangzhou"],
)
async def test_known_addresses_get_their_point_and_district(text: str, place: Place) -> None:
    assert await DemoGeocoder().locate(text, "") == place
    assert await DemoGeocoder().geocode(text, "") == (place.lat, place.lng)


@pytest.mark.parametrize(
    "text",
    ["上海市浦东新区某某路999号", "北京市朝阳区建国路88号", "杭州市世纪大道100号", ""],
    ids=["unknown-street", "another-city", "street-of-the-other-city", "empty"],
)
async def test_unknown_addresses_get_no_point(text: str) -> None:
    assert await DemoGeocoder().locate(text, "") is None


async def test_the_city_argument_narrows_the_search() -> None:
    assert await DemoGeocoder().locate("文三路478号", "杭州") is not None
    assert await DemoGeocoder().locate("文三路478号", "上海") is None


def test_core_offers_the_demo_geocoder_last(tenants) -> None:  # type: ignore[no-untyped-def]
    jiejia: Tenant = tenants.get("jiejia")
    found = [g for result in build_plugin_manager().for_tenant(jiejia).geocoders() for g in result]

    assert [g.identifier for g in found][-1] == "demo"
