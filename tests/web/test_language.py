"""Languages: Chinese by default, a switch that sticks, no open redirect, wording per tenant."""

from __future__ import annotations

import pytest

from core.web.tenant import LANG_COOKIE
from tests.web.conftest import JIEJIA, WANJIA

CORE_QUESTION_ZH = "您家里需要什么服务？"
CORE_QUESTION_EN = "What do you need done at home?"
JIEJIA_QUESTION_ZH = "今天想把哪里打扫干净？"
JIEJIA_QUESTION_EN = "Which room shall we make spotless today?"


def test_pages_are_chinese_by_default(client):
    page = client.get("/").text

    assert '<html lang="zh-CN">' in page
    assert "为什么选择我们" in page
    assert "Why book with us" not in page


def test_the_page_offers_a_switch_to_english_that_comes_back_here(client):
    page = client.get("/").text

    assert 'href="/lang/en?next=/"' in page
    assert 'hreflang="en"' in page


def test_switching_to_english_sets_a_cookie_and_returns_to_the_page(client_for):
    visitor = client_for(JIEJIA)

    response = visitor.get("/lang/en?next=/", follow_redirects=False)

    assert response.status_code in (302, 303)
    assert response.headers["location"] == "/"
    assert f"{LANG_COOKIE}=en" in response.headers["set-cookie"]
    assert "max-age=31536000" in response.headers["set-cookie"].lower()
    page = visitor.get("/").text
    assert '<html lang="en">' in page
    assert "Why book with us" in page
    assert "为什么选择我们" not in page


def test_switching_back_to_chinese_works(client_for):
    visitor = client_for(JIEJIA)
    visitor.get("/lang/en?next=/")

    visitor.get("/lang/zh_CN?next=/")

    assert '<html lang="zh-CN">' in visitor.get("/").text


def test_the_switch_returns_to_a_local_page_with_its_query(client):
    response = client.get("/lang/en?next=/no/such/page%3Fx%3D1", follow_redirects=False)

    assert response.headers["location"] == "/no/such/page?x=1"


@pytest.mark.parametrize("code", ["fr", "de_DE", "EN", "zh-CN", "en%00"])
def test_an_unsupported_language_is_not_remembered(client_for, code):
    visitor = client_for(JIEJIA)

    response = visitor.get(f"/lang/{code}?next=/", follow_redirects=False)

    assert response.status_code in (302, 303)
    assert "doorstep_lang" not in response.headers.get("set-cookie", "")
    assert '<html lang="zh-CN">' in visitor.get("/").text


def test_a_language_the_tenant_does_not_offer_is_not_remembered(site, build_app, client_for):
    def chinese_only(data: dict) -> None:  # type: ignore[type-arg]
        data["locales"] = ["zh_CN"]
        del data["wording"]["en"]

    site.edit_tenant("jiejia", chinese_only)
    visitor = client_for(JIEJIA, build_app(site))

    response = visitor.get("/lang/en?next=/", follow_redirects=False)

    assert "doorstep_lang" not in response.headers.get("set-cookie", "")
    assert '<html lang="zh-CN">' in visitor.get("/").text


def test_a_forged_language_cookie_falls_back_to_the_default(client_for):
    visitor = client_for(JIEJIA)
    visitor.cookies.set(LANG_COOKIE, "fr", domain=JIEJIA)

    assert '<html lang="zh-CN">' in visitor.get("/").text


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_the_switch_never_sends_the_visitor_to_another_site(client, target):
    from urllib.parse import quote

    response = client.get(f"/lang/en?next={quote(target, safe='')}", follow_redirects=False)

    assert response.status_code in (302, 303)
    assert response.headers["location"] == "/"


def test_jiejia_wording_replaces_core_text_in_chinese(client):
    page = client.get("/").text

    assert JIEJIA_QUESTION_ZH in page
    assert CORE_QUESTION_ZH not in page


def test_jiejia_wording_replaces_core_text_in_english(client_for):
    visitor = client_for(JIEJIA)
    visitor.get("/lang/en?next=/")

    page = visitor.get("/").text

    assert JIEJIA_QUESTION_EN in page
    assert CORE_QUESTION_EN not in page


def test_a_tenant_without_wording_keeps_core_text_in_both_languages(client_for):
    visitor = client_for(WANJIA)
    chinese = visitor.get("/").text
    visitor.get("/lang/en?next=/")
    english = visitor.get("/").text

    assert CORE_QUESTION_ZH in chinese
    assert JIEJIA_QUESTION_ZH not in chinese
    assert CORE_QUESTION_EN in english


def test_one_tenants_wording_never_leaks_into_another(site, build_app, client_for):
    app = build_app(site)
    jiejia, wanjia = client_for(JIEJIA, app), client_for(WANJIA, app)

    assert JIEJIA_QUESTION_ZH in jiejia.get("/").text
    assert CORE_QUESTION_ZH in wanjia.get("/").text
    assert JIEJIA_QUESTION_ZH not in wanjia.get("/").text


def test_vertical_tiles_are_translated_by_their_plugins_catalogs(client):
    page = client.get("/", headers={"host": WANJIA}).text

    assert "家政保洁" in page
    assert "日常保洁、深度保洁、开荒保洁" in page  # housekeeping's catalog
    assert "水管、电路、家电维修" in page  # repair's
    assert "持证教师，全科全年级" in page  # tutoring's
    assert "公安备案锁匠，24 小时上门" in page  # locksmith's
    assert "Plumbing, electrics and appliances" not in page


def test_vertical_tiles_are_english_after_the_switch(client_for):
    visitor = client_for(WANJIA)
    visitor.get("/lang/en?next=/")

    page = visitor.get("/").text

    assert "Housekeeping" in page
    assert "Plumbing, electrics and appliances" in page
    assert "水管、电路、家电维修" not in page
