"""Host -> tenant: each brand on its own host; strangers learn nothing; errors fit the caller."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import JIEJIA, TENANT_WORDS, WANJIA


def title_of(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html)
    assert match, html[:200]
    return match.group(1)


@pytest.mark.parametrize(
    "host",
    ["jiejia.localhost", "jiejia.localhost:8000", "JieJia.LocalHost", "JIEJIA.LOCALHOST:8000"],
)
def test_each_jiejia_host_spelling_gets_the_jiejia_brand(client, host):
    response = client.get("/", headers={"host": host})

    assert response.status_code == 200
    assert title_of(response.text) == "洁家到家"
    assert client.get("/api/v1/tenant", headers={"host": host}).json()["slug"] == "jiejia"


@pytest.mark.parametrize(
    "host",
    ["wanjia.localhost", "wanjia.localhost:8000", "WanJia.LocalHost", "WANJIA.LOCALHOST:8000"],
)
def test_each_wanjia_host_spelling_gets_the_wanjia_brand(client, host):
    response = client.get("/", headers={"host": host})

    assert response.status_code == 200
    assert title_of(response.text) == "万家帮"
    assert client.get("/api/v1/tenant", headers={"host": host}).json()["slug"] == "wanjia"


UNKNOWN_HOSTS = [
    "unknown.localhost",
    "evil.example",
    "jiejia.localhost.evil.example",
    "xjiejia.localhost",
    "jiejia",
    "127.0.0.1:8000",
    "[::1]:8000",
]
EVERY_KIND_OF_PATH = [
    "/",
    "/api/v1/tenant",
    "/api/v1/no-such-thing",
    "/static/tenant/logo.svg",
    "/static/theme/theme.css",
    "/static/site.0123456789ab.css",
    "/schema",
    "/schema/openapi.json",
    "/lang/en?next=/",
    "/no/such/page",
]


@pytest.mark.parametrize("host", UNKNOWN_HOSTS)
def test_an_unknown_host_gets_a_404_that_names_no_tenant(client, host):
    bodies = set()
    for path in EVERY_KIND_OF_PATH:
        response = client.get(path, headers={"host": host}, follow_redirects=False)

        assert response.status_code == 404, path
        assert "set-cookie" not in response.headers, path
        revealing = [w for w in TENANT_WORDS if w in response.text or w in str(response.headers)]
        assert revealing == [], f"{path} names {revealing}"
        bodies.add(response.text)
    assert len(bodies) == 1, "the 404 must look the same whatever the path"


@pytest.mark.db
@pytest.mark.parametrize(
    "host", [JIEJIA, f"{WANJIA}:8000", "unknown.localhost", "10.0.0.7:8000", "[::1]:8000"]
)
def test_health_answers_on_any_host(db, client, host):
    response = client.get("/health", headers={"host": host})

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_an_unknown_page_on_jiejia_is_its_own_themed_404_in_chinese(client):
    response = client.get("/no/such/page")

    assert response.status_code == 404
    assert 'lang="zh-CN"' in response.text
    assert title_of(response.text) == "页面不存在 · 洁家到家"
    assert 'class="site-header"' in response.text
    assert "返回首页" in response.text


def test_an_unknown_page_on_wanjia_is_its_own_themed_404(client):
    response = client.get("/no/such/page", headers={"host": WANJIA})

    assert response.status_code == 404
    assert title_of(response.text) == "页面不存在 · 万家帮"
    assert 'class="masthead"' in response.text
    assert "洁家" not in response.text


def test_the_404_page_follows_the_visitors_language(client_for):
    english = client_for(WANJIA)
    english.get("/lang/en?next=/")

    response = english.get("/no/such/page")

    assert response.status_code == 404
    assert 'lang="en"' in response.text
    assert title_of(response.text) == "Page not found · Wanjia Help"
    assert "Back to the home page" in response.text


def test_an_unknown_api_path_answers_json_not_a_page(client):
    response = client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["status_code"] == 404
    assert "<html" not in response.text


def test_a_wrong_method_on_the_api_answers_json(client):
    response = client.post("/api/v1/tenant", json={})

    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["status_code"] == 405


def test_the_api_describes_the_tenant_of_the_host(client):
    jiejia = client.get("/api/v1/tenant").json()
    wanjia = client.get("/api/v1/tenant", headers={"host": WANJIA}).json()

    assert jiejia["name"] == {"zh_CN": "洁家到家", "en": "Jiejia Home"}
    assert jiejia["defaultLocale"] == "zh_CN"
    assert [v["slug"] for v in jiejia["verticals"]] == ["housekeeping"]
    assert wanjia["name"]["zh_CN"] == "万家帮"
    assert [v["slug"] for v in wanjia["verticals"]] == [
        "housekeeping",
        "repair",
        "tutoring",
        "locksmith",
    ]
