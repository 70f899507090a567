"""The demo geocoder: knows a few dozen real street addresses of the demo cities.

Jiejia's customers live in Shanghai, Wanjia's in Hangzhou. An agency going live plugs a real
geocoder in through the ``geocoders`` hook (it is tried first); this one answers last and only
for the addresses below, so an unknown address is saved without a point.
"""

from __future__ import annotations

import re
import unicodedata

from core.dispatch.schemas import Geocoder, Place

KNOWN: dict[str, list[tuple[str, str, float, float]]] = {
    # city: [(district, street and number, latitude, longitude)], WGS-84
    "上海": [
        ("浦东新区", "世纪大道100号", 31.2347, 121.5050),
        ("浦东新区", "张杨路500号", 31.2290, 121.5205),
        ("浦东新区", "锦绣路1001弄", 31.2060, 121.5520),
        ("徐汇区", "漕溪北路88号", 31.1935, 121.4340),
        ("徐汇区", "宛平南路381号", 31.1900, 121.4505),
        ("静安区", "南京西路1266号", 31.2290, 121.4530),
        ("静安区", "愚园路1088弄", 31.2220, 121.4330),
        ("黄浦区", "淮海中路300号", 31.2225, 121.4735),
        ("长宁区", "天山路789号", 31.2130, 121.4000),
        ("普陀区", "长寿路155号", 31.2420, 121.4420),
        ("虹口区", "四川北路1666号", 31.2620, 121.4810),
        ("杨浦区", "国定路333号", 31.3010, 121.5050),
        ("闵行区", "七莘路3655号", 31.1200, 121.3800),
        ("宝山区", "牡丹江路1211号", 31.4030, 121.4870),
        ("松江区", "人民北路2000号", 31.0300, 121.2280),
    ],
    "杭州": [
        ("西湖区", "文三路478号", 30.2780, 120.1330),
        ("西湖区", "天目山路398号", 30.2760, 120.1280),
        ("西湖区", "北山街84号", 30.2610, 120.1440),
        ("西湖区", "古墩路702号", 30.2970, 120.0980),
        ("上城区", "解放路138号", 30.2560, 120.1710),
        ("上城区", "清泰街500号", 30.2490, 120.1760),
        ("拱墅区", "莫干山路100号", 30.2890, 120.1560),
        ("拱墅区", "湖墅南路258号", 30.2810, 120.1550),
        ("滨江区", "江南大道3888号", 30.2060, 120.2130),
        ("滨江区", "网商路699号", 30.1920, 120.1920),
        ("萧山区", "市心中路819号", 30.1750, 120.2650),
        ("余杭区", "文一西路969号", 30.2790, 120.0270),
        ("余杭区", "五常大道181号", 30.2780, 120.0430),
        ("钱塘区", "学源街118号", 30.3180, 120.3440),
        ("临平区", "迎宾路300号", 30.4200, 120.3000),
    ],
}

_SPACES = re.compile(r"\s+")


def normalize_address(text: str) -> str:
    """Full-width digits and letters folded (``１００号`` -> ``100号``), spaces removed."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text))


class DemoGeocoder(Geocoder):
    identifier = "demo"

    async def locate(self, address: str, city: str) -> Place | None:
        text = normalize_address(address)
        for known_city, entries in KNOWN.items():
            if city and known_city not in city:
                continue
            # An address naming another demo city is not this one's street of the same name.
            if any(other in text for other in KNOWN if other != known_city):
                continue
            for district, street, lat, lng in entries:
                if street in text:
                    return Place(lat=lat, lng=lng, district=district)
        return None

    async def geocode(self, address: str, city: str) -> tuple[float, float] | None:
        place = await self.locate(address, city)
        return None if place is None else (place.lat, place.lng)
