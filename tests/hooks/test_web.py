"""Web hooks, through real requests: theme_context and register_routes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from litestar import get
from litestar.enums import MediaType
from litestar.testing import TestClient

from core.plugins import DoorstepPluginManager
from core.settings import Settings
from core.tenancy.model import Tenant
from core.tenancy.registry import TenantRegistry
from core.web.app import create_app
from tests.hooks.host import GARDENING, GARDENING_VERTICAL, host, plugin, vertical_plugin

# A tenant override of the home page that shows what theme_context handed it.
HOME_OVERRIDE = """{% extends "core:home.html" %}
{% block head %}
<meta name="season" content="{{ gardening_season | default('none') }}">
<meta name="hours" content="{{ support_hours | default('none') }}">
<meta name="greeting" content="{{ greeting | default('none') }}">
<meta name="rendered-as" content="{{ rendered_as | default('none') }}">
{% endblock %}
"""


@contextmanager
def serving(
    pm: DoorstepPluginManager, settings: Settings, tenants_dir: Path, *tenants: Tenant
) -> Iterator[TestClient[Any]]:
    """A fresh app for these plugins and tenants, tenant overrides read from ``tenants_dir``."""
    app = create_app(
        settings=dataclasses.replace(settings, tenants_dir=tenants_dir),
        plugins=pm,
        tenants=TenantRegistry(tenants),
    )
    with TestClient(app) as client:
        yield client


def meta(html: str, name: str) -> str:
    marker = f'<meta name="{name}" content="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def override_home(tenants_dir: Path, *tenants: Tenant) -> None:
    for tenant in tenants:
        folder = tenants_dir / tenant.slug / "templates"
        folder.mkdir(parents=True)
        (folder / "home.html").write_text(HOME_OVERRIDE, encoding="utf-8")


def gardening_context(tenant: Tenant, template_name: str, locale: str) -> dict[str, Any]:
    season = "修剪季" if locale == "zh_CN" else "Hedge-trimming season"
    return {"gardening_season": season, "greeting": "from gardening"}


def everywhere_context(tenant: Tenant, template_name: str, locale: str) -> dict[str, Any]:
    return {
        "support_hours": "08:00-20:00",
        "greeting": "from everywhere",
        "rendered_as": f"{tenant.slug} {template_name} {locale}",
    }


def test_hook_theme_context(
    tmp_path: Path, settings: Settings, jiejia: Tenant, garden: Tenant
) -> None:
    """Plugins' template variables reach the page, only from verticals the tenant enabled."""
    pm = host(
        vertical_plugin(GARDENING_VERTICAL, theme_context=gardening_context),
        plugin("opening-hours", theme_context=everywhere_context),
    )
    override_home(tmp_path, jiejia, garden)
    with serving(pm, settings, tmp_path, jiejia, garden) as client:
        garden_page = client.get("/", headers={"host": "garden.localhost"}).text
        jiejia_page = client.get("/", headers={"host": "jiejia.localhost"}).text
        client.cookies.set("doorstep_lang", "en")
        garden_en = client.get("/", headers={"host": "garden.localhost"}).text

    assert meta(garden_page, "season") == "修剪季"
    assert meta(garden_en, "season") == "Hedge-trimming season"
    assert meta(jiejia_page, "season") == "none"  # gardening is not enabled on jiejia
    assert meta(jiejia_page, "hours") == meta(garden_page, "hours") == "08:00-20:00"
    assert meta(garden_page, "rendered-as") == "garden home.html zh_CN"
    assert meta(garden_en, "rendered-as") == "garden home.html en"
    # both set "greeting": the most recently registered plugin's value wins
    assert meta(garden_page, "greeting") == "from everywhere"


def test_hook_theme_context_never_overrides_what_core_sets(
    tmp_path: Path, settings: Settings, jiejia: Tenant
) -> None:
    """A plugin cannot rebrand a tenant: core's template variables win over theme_context."""
    pm = host(plugin("rebrander", theme_context=lambda tenant: {"brand": "Hijacked Home"}))
    with serving(pm, settings, tmp_path, jiejia) as client:
        page = client.get("/", headers={"host": "jiejia.localhost"}).text
    assert "洁家到家" in page
    assert "Hijacked Home" not in page


def test_hook_register_routes(
    tmp_path: Path, settings: Settings, jiejia: Tenant, garden: Tenant
) -> None:
    """A vertical's routes answer under /v/<slug> where it is enabled, and 404 elsewhere."""

    @get("/hedges", media_type=MediaType.TEXT, sync_to_thread=False)
    def hedges() -> str:
        return "hedge trimming from 15 yuan a metre"

    pm = host(vertical_plugin(GARDENING_VERTICAL, register_routes=lambda: [hedges]))
    with serving(pm, settings, tmp_path, jiejia, garden) as client:
        on_garden = client.get(f"/v/{GARDENING}/hedges", headers={"host": "garden.localhost"})
        on_jiejia = client.get(f"/v/{GARDENING}/hedges", headers={"host": "jiejia.localhost"})
        unprefixed = client.get("/hedges", headers={"host": "garden.localhost"})

    assert (on_garden.status_code, on_garden.text) == (200, "hedge trimming from 15 yuan a metre")
    assert on_jiejia.status_code == 404
    assert "hedge trimming" not in on_jiejia.text
    assert unprefixed.status_code == 404


def test_hook_register_routes_only_from_verticals(settings: Settings, jiejia: Tenant) -> None:
    """A plugin without a vertical has no /v/<slug> to serve under: the app does not start."""

    @get("/anything", sync_to_thread=False)
    def anything() -> str:
        return "anything"

    pm = host(plugin("stray-routes", register_routes=lambda: [anything]))
    with pytest.raises(RuntimeError, match="stray-routes: only vertical plugins may register"):
        create_app(settings=settings, plugins=pm, tenants=TenantRegistry([jiejia]))
