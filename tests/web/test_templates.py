"""Templates: tenant -> theme -> parent theme -> plugin -> core, sandboxed and autoescaped."""

from __future__ import annotations

import pytest
from jinja2 import TemplateNotFound
from jinja2.exceptions import SecurityError

from core.web.templating import CORE_TEMPLATES
from tests.conftest import ROOT
from tests.web.conftest import JIEJIA, WANJIA

HOME_OVERRIDE = """{% extends "core:home.html" %}
{% block content %}
<p class="spring-sale">{{ _("Spring sale") }}: 8折</p>
{{ super() }}
{% endblock %}
"""


def store_of(app):  # type: ignore[no-untyped-def]
    return app.state.doorstep.templates


def tenant_of(app, slug):  # type: ignore[no-untyped-def]
    return app.state.doorstep.tenants.get(slug)


def test_a_tenant_override_can_extend_cores_original(site, build_app, client_for):
    site.write("jiejia/templates/home.html", HOME_OVERRIDE)
    app = build_app(site)

    page = client_for(JIEJIA, app).get("/").text

    assert '<p class="spring-sale">Spring sale: 8折</p>' in page  # the override's block
    assert "为什么选择我们" in page  # core's original content, through super()
    assert 'class="site-header"' in page  # still the harbor / core frame
    assert "spring-sale" not in client_for(WANJIA, app).get("/").text


def test_the_search_path_runs_tenant_theme_parent_plugins_core(site, build_app):
    site.write("wanjia/templates/home.html", HOME_OVERRIDE)
    (site.themes_dir / "harbor" / "templates").mkdir(exist_ok=True)
    app = build_app(site)
    plugins = app.state.doorstep.plugins.verticals

    path = store_of(app).search_path(tenant_of(app, "wanjia"))

    assert path == [
        site.tenants_dir / "wanjia" / "templates",
        site.themes_dir / "lantern" / "templates",
        site.themes_dir / "harbor" / "templates",
        plugins["housekeeping"].templates_dir,
        plugins["repair"].templates_dir,
        plugins["tutoring"].templates_dir,
        plugins["locksmith"].templates_dir,
        CORE_TEMPLATES,
    ]


@pytest.mark.parametrize(
    ("layers", "winner"),
    [
        (("tenant", "lantern", "harbor"), "tenant"),
        (("lantern", "harbor"), "lantern"),
        (("harbor",), "harbor"),
    ],
)
def test_the_first_layer_that_has_a_template_wins(site, build_app, layers, winner):
    folders = {
        "tenant": site.tenants_dir / "wanjia",
        "lantern": site.themes_dir / "lantern",
        "harbor": site.themes_dir / "harbor",
    }
    for layer in layers:
        probe = folders[layer] / "templates" / "probe.html"
        probe.parent.mkdir(parents=True, exist_ok=True)
        probe.write_text(f"from {layer}", encoding="utf-8")
    app = build_app(site)

    env = store_of(app).environment(tenant_of(app, "wanjia"), "zh_CN")

    assert env.get_template("probe.html").render() == f"from {winner}"


def test_a_theme_overrides_a_plugins_template(site, build_app, client_for):
    site.write(
        "harbor/templates/housekeeping/tile.html",
        '<span class="harbor-tile">{{ text(vertical.label) }}</span>',
        under="themes",
    )
    app = build_app(site)

    page = client_for(JIEJIA, app).get("/").text

    assert '<span class="harbor-tile">家政保洁</span>' in page
    assert "日常保洁、深度保洁、开荒保洁" not in page  # the plugin's own tile is not used


def test_core_prefix_always_names_cores_original(app):
    env = store_of(app).environment(tenant_of(app, "wanjia"), "zh_CN")

    assert 'class="masthead"' in env.get_template("base.html").render(request_path="/")
    assert 'class="masthead"' not in env.get_template("core:base.html").render(request_path="/")


def test_wanjia_uses_lanterns_masthead_and_tab_bar(client):
    page = client.get("/", headers={"host": WANJIA}).text

    assert 'class="masthead"' in page
    assert 'class="tabbar"' in page
    assert 'class="site-header"' not in page
    assert '<body class="theme-lantern' in page


def test_jiejia_uses_harbors_top_bar(client):
    page = client.get("/").text

    assert 'class="site-header"' in page
    assert 'class="masthead"' not in page
    assert 'class="tabbar"' not in page
    assert '<body class="theme-harbor' in page


def test_a_vertical_the_tenant_has_not_enabled_is_not_found(app):
    store = store_of(app)
    jiejia, wanjia = tenant_of(app, "jiejia"), tenant_of(app, "wanjia")
    repair_templates = ROOT / "plugins" / "repair" / "templates"

    assert repair_templates not in store.search_path(jiejia)
    with pytest.raises(TemplateNotFound):
        store.environment(jiejia, "zh_CN").get_template("repair/tile.html")
    assert store.environment(wanjia, "zh_CN").get_template("repair/tile.html")


def test_a_disabled_verticals_tile_cannot_be_included_either(app):
    env = store_of(app).environment(tenant_of(app, "jiejia"), "zh_CN")

    with pytest.raises(TemplateNotFound):
        env.from_string('{% include "repair/tile.html" %}').render()


def test_jiejia_shows_only_its_own_vertical(client):
    page = client.get("/").text

    assert "tile-housekeeping" in page
    for other in ("tile-repair", "tile-tutoring", "tile-locksmith"):
        assert other not in page


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ tenant.__init__.__globals__ }}",
        "{{ money.__globals__['__builtins__'] }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ tenant.config.__class__.__subclasses__() }}",
    ],
)
def test_templates_cannot_reach_python_internals(app, source):
    env = store_of(app).environment(tenant_of(app, "jiejia"), "zh_CN")

    with pytest.raises(SecurityError):
        env.from_string(source).render()


@pytest.mark.parametrize("source", ["{{ ''.__class__ }}", "{{ money.__globals__ }}"])
def test_a_single_internal_attribute_reads_as_nothing(app, source):
    env = store_of(app).environment(tenant_of(app, "jiejia"), "zh_CN")

    assert env.from_string(source).render() == ""


def test_an_unsafe_tenant_template_is_a_plain_error_page(site, build_app, client_for):
    site.write(
        "jiejia/templates/home.html",
        '{% extends "core:home.html" %}{% block content %}'
        "{{ ''.__class__.__mro__[1].__subclasses__() }}{% endblock %}",
    )
    app = build_app(site)

    response = client_for(JIEJIA, app).get("/")

    assert response.status_code == 500
    assert "出错了" in response.text
    assert "<class" not in response.text
    assert "&lt;class" not in response.text


def test_tenant_wording_with_markup_is_shown_as_text(site, build_app, client_for):
    script = "<script>alert(1)</script>"
    site.edit_tenant(
        "jiejia",
        lambda data: data["wording"]["zh_CN"].update(
            {"What do you need done at home?": f"欢迎{script}"}
        ),
    )
    app = build_app(site)

    page = client_for(JIEJIA, app).get("/").text

    assert script not in page
    assert "欢迎&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_tagline_with_markup_is_shown_as_text(site, build_app, client_for):
    site.edit_tenant(
        "wanjia", lambda data: data["branding"]["tagline"].update(zh_CN='<img src=x onerror="1">')
    )
    app = build_app(site)

    page = client_for(WANJIA, app).get("/").text

    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&#34;1&#34;&gt;" in page


def test_autoescaping_is_on_in_inline_templates_too(app):
    env = store_of(app).environment(tenant_of(app, "jiejia"), "zh_CN")

    assert env.from_string("{{ value }}").render(value="<b>") == "&lt;b&gt;"


def test_a_percent_sign_in_tenant_wording_shows_as_written(site, build_app, client_for):
    site.edit_tenant(
        "jiejia",
        lambda data: data["wording"]["zh_CN"].update({"Why book with us": "100% 满意，不满意重做"}),
    )
    app = build_app(site)

    response = client_for(JIEJIA, app).get("/")

    assert response.status_code == 200
    assert "100% 满意，不满意重做" in response.text


def test_wording_keeps_placeholders_and_escapes_their_values(site, build_app):
    site.edit_tenant(
        "jiejia",
        lambda data: data["wording"]["zh_CN"].update(
            {"%(count)s homes served": "已服务 %(count)s 户，好评率 99%"}
        ),
    )
    app = build_app(site)
    env = store_of(app).environment(tenant_of(app, "jiejia"), "zh_CN")

    shown = env.from_string('{{ _("%(count)s homes served", count="<b>3</b>") }}').render()

    assert shown == "已服务 &lt;b&gt;3&lt;/b&gt; 户，好评率 99%"


def test_plural_messages_are_translated_and_escaped_too(app):
    env = store_of(app).environment(tenant_of(app, "wanjia"), "en")

    shown = env.from_string('{{ ngettext("%(num)s <visit>", "%(num)s <visits>", 2) }}').render()

    assert shown == "2 &lt;visits&gt;"
