"""Tenant and theme files: each host its own, child theme first, nothing outside the folder."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT
from tests.web.conftest import JIEJIA, WANJIA, raw_get


def test_each_tenant_serves_its_own_logo(client):
    jiejia = client.get("/static/tenant/logo.svg")
    wanjia = client.get("/static/tenant/logo.svg", headers={"host": WANJIA})

    assert jiejia.status_code == wanjia.status_code == 200
    assert jiejia.content == (ROOT / "tenants/jiejia/static/logo.svg").read_bytes()
    assert wanjia.content == (ROOT / "tenants/wanjia/static/logo.svg").read_bytes()
    assert jiejia.content != wanjia.content
    assert jiejia.headers["content-type"].startswith("image/svg+xml")


def test_a_missing_tenant_file_is_not_found(client):
    assert client.get("/static/tenant/nope.svg").status_code == 404


TRAVERSALS = [
    "/static/tenant/%2e%2e/jiejia.yaml",
    "/static/tenant/%2E%2E/jiejia.yaml",
    "/static/tenant/..%2fjiejia.yaml",
    "/static/tenant/%2e%2e%2f%2e%2e%2fpyproject.toml",
    "/static/tenant/..%5cjiejia.yaml",
    "/static/tenant/%2fetc%2fpasswd",
    "/static/tenant//etc/passwd",
    "/static/tenant/%2e%2e/wanjia/static/logo.svg",
    "/static/theme/%2e%2e/theme.yaml",
    "/static/theme/%2e%2e/%2e%2e/lantern/theme.yaml",
    "/schema/assets/%2e%2e/__init__.py",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_encoded_path_traversal_is_not_found(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert "slug:" not in response.text
    assert "root:" not in response.text
    assert "<svg" not in response.text


RAW_TRAVERSALS = [
    "/static/tenant/../jiejia.yaml",
    "/static/tenant/../../pyproject.toml",
    "/static/tenant/../wanjia/static/logo.svg",
    "/static/tenant/./../jiejia.yaml",
    "/static/theme/../theme.yaml",
    "/static/tenant//etc/passwd",
    "/static/tenant/C:/Windows/win.ini",
]


@pytest.mark.parametrize("path", RAW_TRAVERSALS)
async def test_raw_path_traversal_is_not_found(app, path):
    status, body = await raw_get(app, JIEJIA, path)

    assert status == 404
    assert b"slug:" not in body
    assert b"<svg" not in body


async def test_the_raw_request_helper_does_reach_the_files(app):
    status, body = await raw_get(app, JIEJIA, "/static/tenant/logo.svg")

    assert status == 200
    assert body == (ROOT / "tenants/jiejia/static/logo.svg").read_bytes()


def test_the_theme_stylesheet_comes_from_the_child_theme_first(client):
    wanjia = client.get("/static/theme/theme.css", headers={"host": WANJIA})
    jiejia = client.get("/static/theme/theme.css", headers={"host": JIEJIA})

    assert wanjia.status_code == jiejia.status_code == 200
    assert wanjia.content == (ROOT / "themes/lantern/static/theme.css").read_bytes()
    assert jiejia.content == (ROOT / "themes/harbor/static/theme.css").read_bytes()


def test_a_file_only_the_parent_theme_has_is_served_to_the_child(site, build_app, client_for):
    site.write("harbor/static/img/wave.svg", "<svg>wave</svg>", under="themes")
    app = build_app(site)

    response = client_for(WANJIA, app).get("/static/theme/img/wave.svg")

    assert response.status_code == 200
    assert response.text == "<svg>wave</svg>"
