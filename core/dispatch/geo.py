"""Map helpers for route pages: WGS-84 -> GCJ-02 (what Chinese map apps expect), links that
open the phone's map app, and a route map drawn as SVG on the server (no tile server)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

_A = 6378245.0
"""Krasovsky 1940 semi-major axis, as the GCJ-02 algorithm uses it."""
_EE = 0.00669342162296594323


def out_of_china(lat: float, lng: float) -> bool:
    """Outside the box where GCJ-02 applies: there the WGS-84 point is used as it is."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """The GCJ-02 point of a WGS-84 one (unchanged outside China)."""
    if out_of_china(lat, lng):
        return lat, lng
    d_lat = _lat(lng - 105.0, lat - 35.0)
    d_lng = _lng(lng - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return lat + d_lat, lng + d_lng


@dataclass(frozen=True)
class NavigateLinks:
    amap: str
    """AMap (高德), GCJ-02."""
    baidu: str
    """Baidu Maps, told the point is GCJ-02 (``coord_type=gcj02``)."""
    apple: str
    """Apple Maps: in mainland China it reads GCJ-02 too."""
    geo: str
    """``geo:`` URI (Android's map chooser), WGS-84."""
    gcj02: tuple[float, float] = (0.0, 0.0)
    """The point itself, (lat, lng) in GCJ-02, for an app that opens a map SDK directly."""


def navigate_links(lat: float, lng: float, label: str = "") -> NavigateLinks:
    g_lat, g_lng = wgs84_to_gcj02(lat, lng)
    name = label or "destination"
    amap = "https://uri.amap.com/navigation?" + urlencode(
        {
            "to": f"{g_lng:.6f},{g_lat:.6f},{name}",
            "mode": "car",
            "coordinate": "gaode",
            "callnative": "1",
        }
    )
    baidu = "https://api.map.baidu.com/direction?" + urlencode(
        {
            "destination": f"latlng:{g_lat:.6f},{g_lng:.6f}|name:{name}",
            "mode": "driving",
            "coord_type": "gcj02",
            "output": "html",
            "src": "doorstep",
        }
    )
    apple = f"https://maps.apple.com/?daddr={g_lat:.6f},{g_lng:.6f}&dirflg=d"
    geo = f"geo:{lat:.6f},{lng:.6f}?q={lat:.6f},{lng:.6f}({quote(name)})"
    gcj02 = (round(g_lat, 6), round(g_lng, 6))
    return NavigateLinks(amap=amap, baidu=baidu, apple=apple, geo=geo, gcj02=gcj02)


PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
)


@dataclass(frozen=True)
class MapRoute:
    points: Sequence[tuple[float, float]]
    """Home, then each stop in order, then home again (WGS-84)."""
    colour: str = PALETTE[0]


def route_svg(
    routes: Sequence[MapRoute],
    loose: Sequence[tuple[float, float]] = (),
    *,
    width: int = 360,
    height: int = 300,
    title: str = "",
) -> str:
    """An SVG map: each route a coloured line with numbered stops, a square at home, and
    ``loose`` points (jobs nobody has) as hollow circles. Equirectangular projection, fitted
    to the points with a margin; nothing here is a secret, and no address is written out."""
    every = [p for r in routes for p in r.points] + list(loose)
    if not every:
        every = [(0.0, 0.0)]
    lats = [p[0] for p in every]
    lngs = [p[1] for p in every]
    mid = math.cos(math.radians(sum(lats) / len(lats)))
    span_x = max((max(lngs) - min(lngs)) * mid, 1e-4)
    span_y = max(max(lats) - min(lats), 1e-4)
    pad = 18
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)

    def xy(p: tuple[float, float]) -> tuple[float, float]:
        x = pad + (p[1] - min(lngs)) * mid * scale
        y = height - pad - (p[0] - min(lats)) * scale
        return round(x, 1), round(y, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" class="route-map" preserveAspectRatio="xMidYMid meet">',
        f"<title>{_escape(title)}</title>" if title else "",
        f'<rect width="{width}" height="{height}" fill="#f6f7f9" rx="8"/>',
    ]
    drawn: dict[tuple[float, float], int] = {}
    for route in routes:
        if not route.points:
            continue
        line = " ".join(f"{x},{y}" for x, y in map(xy, route.points))
        parts.append(
            f'<polyline points="{line}" fill="none" stroke="{route.colour}" stroke-width="2.5" '
            'stroke-linejoin="round" stroke-linecap="round" opacity="0.85"/>'
        )
        hx, hy = xy(route.points[0])
        parts.append(
            f'<rect x="{hx - 5}" y="{hy - 5}" width="10" height="10" fill="{route.colour}"/>'
        )
        for n, point in enumerate(route.points[1:-1], start=1):
            x, y = xy(point)
            # Two stops at one address (or next door): side by side, so both numbers show.
            k = drawn.get((x, y), 0)
            drawn[(x, y)] = k + 1
            x += 17 * k if x + 17 * k <= width - 9 else -17 * k
            parts.append(
                f'<circle cx="{x}" cy="{y}" r="8" fill="#fff" stroke="{route.colour}" '
                f'stroke-width="2"/><text x="{x}" y="{y + 3.5}" font-size="10" '
                f'text-anchor="middle" fill="#222">{n}</text>'
            )
    for point in loose:
        x, y = xy(point)
        parts.append(
            f'<circle cx="{x}" cy="{y}" r="6" fill="none" stroke="#222" stroke-width="2" '
            'stroke-dasharray="3 2"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
