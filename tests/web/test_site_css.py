"""Each tenant's compiled stylesheet: linked from its pages, content-hashed, cached for good."""

from __future__ import annotations

import re

from tests.web.conftest import JIEJIA, WANJIA

CSS_LINK = re.compile(r'<link rel="stylesheet" href="(/static/site\.([0-9a-f]+)\.css)">')


def linked_css(client, host: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(url, digest) of the stylesheet the home page links."""
    match = CSS_LINK.search(client.get("/", headers={"host": host}).text)
    assert match, "the page links no compiled stylesheet"
    return match.group(1), match.group(2)


def test_each_tenants_page_links_its_compiled_stylesheet(client):
    for host in (JIEJIA, WANJIA):
        url, _ = linked_css(client, host)

        response = client.get(url, headers={"host": host})

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/css")


def test_the_stylesheet_is_cached_for_good(client):
    url, _ = linked_css(client, JIEJIA)

    cache = client.get(url).headers["cache-control"]

    assert "immutable" in cache
    assert "max-age=31536000" in cache
    assert "public" in cache


def test_the_two_tenants_get_different_stylesheets(client):
    jiejia_url, jiejia_digest = linked_css(client, JIEJIA)
    wanjia_url, wanjia_digest = linked_css(client, WANJIA)

    assert jiejia_digest != wanjia_digest
    assert client.get(jiejia_url).text != client.get(wanjia_url, headers={"host": WANJIA}).text


def test_jiejias_stylesheet_has_its_own_colours_over_harbors(client):
    url, _ = linked_css(client, JIEJIA)

    css = client.get(url).text

    assert "--color-primary: #0e7490;" in css  # jiejia.yaml
    assert "--color-accent: #84cc16;" in css  # jiejia.yaml
    assert "--color-bg: #f4f7f6;" in css  # harbor
    assert "#0f766e" not in css  # harbor's own primary is overridden
    assert ".site-header" in css
    assert ".tabbar" not in css  # nothing of lantern


def test_wanjias_stylesheet_has_lanterns_rules_after_harbors(client):
    url, _ = linked_css(client, WANJIA)

    css = client.get(url, headers={"host": WANJIA}).text

    assert "--color-primary: #b91c1c;" in css  # lantern
    assert "--color-on-primary: #ffffff;" in css  # inherited from harbor
    assert (
        css.index(":root {") < css.index("/* theme: harbor */") < css.index("/* theme: lantern */")
    )
    assert css.index(".site-header") < css.index(".tabbar")
    # lantern's one-column list comes after harbor's grid, so it wins
    harbor_grid = re.search(r"\.tiles \{[^}]*grid-template-columns: repeat\(2", css)
    lantern_list = re.search(r"\.tiles \{[^}]*grid-template-columns: 1fr;", css)
    assert harbor_grid and lantern_list
    assert harbor_grid.start() < lantern_list.start()


def test_a_wrong_digest_is_not_found(client):
    url, digest = linked_css(client, JIEJIA)

    assert client.get("/static/site.000000000000.css").status_code == 404
    assert client.get(url.replace(digest, digest[:-1])).status_code == 404
    assert client.get(f"/static/site.{digest}.js").status_code == 404
    assert client.get(f"/static/{digest}.css").status_code == 404


def test_another_tenants_stylesheet_is_not_served_on_this_host(client):
    wanjia_url, _ = linked_css(client, WANJIA)

    assert client.get(wanjia_url, headers={"host": JIEJIA}).status_code == 404


def test_changing_a_token_changes_the_address(site, build_app, client_for):
    before_url, before = linked_css(client_for(JIEJIA, build_app(site)), JIEJIA)
    site.edit_tenant("jiejia", lambda data: data["theme"]["tokens"].update(color_primary="#123456"))

    changed = client_for(JIEJIA, build_app(site))
    after_url, after = linked_css(changed, JIEJIA)

    assert after != before
    assert "--color-primary: #123456;" in changed.get(after_url).text
    assert changed.get(before_url).status_code == 404


def test_every_worker_computes_the_same_address(site, build_app, client_for):
    first = linked_css(client_for(WANJIA, build_app(site)), WANJIA)
    second = linked_css(client_for(WANJIA, build_app(site)), WANJIA)

    assert first == second
