"""White-label, shown: the two demo brands differ in name, logo, colours, layout and type."""

from __future__ import annotations

import re

from tests.web.conftest import JIEJIA, WANJIA


def home(client, host: str) -> str:  # type: ignore[no-untyped-def]
    return str(client.get("/", headers={"host": host}).text)


def stylesheet(client, host: str) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r'href="(/static/site\.[0-9a-f]+\.css)"', home(client, host))
    assert match
    return str(client.get(match.group(1), headers={"host": host}).text)


def token(css: str, name: str) -> str:
    match = re.search(rf"--{name}: ([^;]+);", css)
    assert match, name
    return match.group(1)


def test_the_brands_have_their_own_names(client):
    jiejia, wanjia = home(client, JIEJIA), home(client, WANJIA)

    assert '<span class="brand-name">洁家到家</span>' in jiejia
    assert '<span class="masthead-name">万家帮</span>' in wanjia
    assert "万家帮" not in jiejia
    assert "洁家到家" not in wanjia


def test_the_brands_show_their_own_logos(client):
    jiejia, wanjia = home(client, JIEJIA), home(client, WANJIA)
    logos = [
        client.get("/static/tenant/logo.svg", headers={"host": host}).content
        for host in (JIEJIA, WANJIA)
    ]

    assert 'src="/static/tenant/logo.svg"' in jiejia
    assert 'src="/static/tenant/logo.svg"' in wanjia
    assert logos[0] != logos[1]
    assert all(logo.startswith(b"<svg") for logo in logos)


def test_the_brands_have_their_own_colours(client):
    jiejia, wanjia = stylesheet(client, JIEJIA), stylesheet(client, WANJIA)

    assert token(jiejia, "color-primary") == "#0e7490"
    assert token(wanjia, "color-primary") == "#b91c1c"
    assert token(jiejia, "color-bg") != token(wanjia, "color-bg")


def test_lantern_lays_out_a_masthead_and_a_bottom_tab_bar(client):
    wanjia, css = home(client, WANJIA), stylesheet(client, WANJIA)

    assert '<header class="masthead">' in wanjia
    assert '<nav class="tabbar"' in wanjia
    assert re.search(r"\.tabbar \{[^}]*position: fixed;[^}]*bottom: 0;", css)


def test_harbor_lays_out_a_top_bar(client):
    jiejia, css = home(client, JIEJIA), stylesheet(client, JIEJIA)

    assert '<header class="site-header">' in jiejia
    assert "tabbar" not in jiejia
    assert re.search(r"\.site-header \{[^}]*position: sticky;[^}]*top: 0;", css)


def test_lantern_sets_headings_in_serif_and_harbor_in_sans(client):
    lantern = token(stylesheet(client, WANJIA), "font-heading")
    harbor = token(stylesheet(client, JIEJIA), "font-heading")

    assert lantern.endswith(" serif")
    assert "Noto Serif CJK SC" in lantern
    assert harbor.endswith("sans-serif")
    assert "Serif" not in harbor


def test_the_brands_offer_their_own_services(client):
    jiejia, wanjia = home(client, JIEJIA), home(client, WANJIA)

    assert re.findall(r'class="tile tile-(\w+)"', jiejia) == ["housekeeping"]
    assert re.findall(r'class="tile tile-(\w+)"', wanjia) == [
        "housekeeping",
        "repair",
        "tutoring",
        "locksmith",
    ]


def test_the_brands_have_their_own_taglines_and_phone_numbers(client):
    jiejia, wanjia = home(client, JIEJIA), home(client, WANJIA)

    assert "专业保洁，一键上门，干净看得见" in jiejia
    assert "400-820-1234" in jiejia
    assert "保洁、维修、家教、开锁，万家信赖的上门服务" in wanjia
    assert "400-571-8888" in wanjia
