"""``doorstep tenant new``: a tenant that ``tenant check`` accepts and the server serves."""

from __future__ import annotations

import dataclasses

import pytest
import yaml
from litestar.testing import TestClient

from core.tenancy.registry import load_registry
from tests.cli.conftest import assert_one_line_error, assert_user_error


def test_a_new_tenant_is_written_checked_and_served(run, install, settings, plugins):
    result = run("tenant", "new", "acme", "--name-zh", "艾克美", "--vertical", "repair")

    assert result.exit_code == 0, result.output
    written = install.tenants / "acme.yaml"
    assert f"wrote {written}" in result.stdout
    assert "http://acme.localhost:8000" in result.stdout
    document = yaml.safe_load(written.read_text(encoding="utf-8"))
    assert document["slug"] == "acme"
    assert document["name"]["zh_CN"] == "艾克美"
    assert document["hosts"] == ["acme.localhost"]
    assert list(document["verticals"]) == ["repair"]

    check = run("tenant", "check")
    assert check.exit_code == 0, check.output
    assert check.stdout.strip() == "ok: 3 tenant file(s) valid"

    registry = load_registry(install.tenants, plugins.verticals, install.themes)
    acme = registry.for_host("acme.localhost:8000")
    assert acme is not None and acme.enabled_verticals == ("repair",)

    from core.web.app import create_app

    # The session's database settings, so the shared engine binding stays as it was.
    here = dataclasses.replace(settings, tenants_dir=install.tenants, themes_dir=install.themes)
    with TestClient(create_app(settings=here, plugins=plugins, tenants=registry)) as client:
        page = client.get("/", headers={"host": "acme.localhost:8000"})
        other = client.get("/", headers={"host": "jiejia.localhost:8000"})

    assert page.status_code == 200
    assert "艾克美" in page.text
    assert "艾克美" not in other.text


def test_a_new_tenant_with_its_own_colour_hosts_theme_and_english_name(run, install):
    result = run(
        "tenant", "new", "acme-home",
        "--name-zh", "艾克美", "--name-en", "Acme Home",
        "--vertical", "repair", "--vertical", "locksmith",
        "--theme", "lantern", "--host", "acme.example.com", "--host", "www.acme.example.com",
        "--primary-color", "#2563eb",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    document = yaml.safe_load((install.tenants / "acme-home.yaml").read_text(encoding="utf-8"))
    assert document["name"] == {"zh_CN": "艾克美", "en": "Acme Home"}
    assert document["hosts"] == ["acme.example.com", "www.acme.example.com"]
    assert document["theme"] == {"name": "lantern", "tokens": {"color_primary": "#2563eb"}}
    assert list(document["verticals"]) == ["repair", "locksmith"]
    assert run("tenant", "check").exit_code == 0


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["Bad_Slug"], "slug 'Bad_Slug': use 2-40 lower-case letters"),
        (["a"], "slug 'a': use 2-40 lower-case letters"),
        (["acme\n"], "use 2-40 lower-case letters"),
        (["acme", "--vertical", "gardening"], "--vertical gardening: unknown vertical"),
        (["acme", "--theme", "ocean"], "--theme ocean: unknown theme (installed: harbor, lantern)"),
        (["jiejia"], "already exists"),
        (["acme", "--primary-color", "red"], "--primary-color red: use a colour like '#2563eb'"),
        (["acme", "--primary-color", "[/x]"], "--primary-color [/x]: use a colour like"),
    ],
    ids=["capitals", "too-short", "newline", "vertical", "theme", "exists", "colour", "markup"],
)
def test_a_bad_new_tenant_is_one_line_exit_2_and_writes_nothing(run, install, args, reason):
    before = install.files()
    jiejia = (install.tenants / "jiejia.yaml").read_text(encoding="utf-8")

    message = assert_one_line_error(run("tenant", "new", *args, "--name-zh", "艾克美"))

    assert reason in message
    assert install.files() == before
    assert (install.tenants / "jiejia.yaml").read_text(encoding="utf-8") == jiejia


def test_a_new_tenant_on_a_host_another_tenant_has_lists_the_clash_and_writes_nothing(run, install):
    before = install.files()

    result = run("tenant", "new", "acme", "--name-zh", "艾克美", "--host", "wanjia.localhost")

    lines = assert_user_error(result)
    assert "'wanjia.localhost' is also claimed by" in lines[0]
    assert lines[-1] == "error: the new tenant would not be valid; nothing was written"
    assert install.files() == before


def test_a_new_tenant_with_a_host_and_port_is_refused_and_writes_nothing(run, install):
    before = install.files()

    result = run("tenant", "new", "acme", "--name-zh", "艾克美", "--host", "acme.localhost:8000")

    lines = assert_user_error(result)
    assert (
        "hosts[0]: 'acme.localhost:8000' is not a lower-case host name without a port" in (lines[0])
    )
    assert install.files() == before


def test_a_new_tenant_without_its_chinese_name_is_a_usage_error(run, install):
    before = install.files()

    result = run("tenant", "new", "acme")

    assert result.exit_code == 2
    assert "--name-zh" in result.output
    assert install.files() == before


def test_the_installed_program_refuses_a_bad_slug_in_one_line(doorstep, install):
    message = assert_one_line_error(doorstep("tenant", "new", "Acme!", "--name-zh", "艾克美"))

    assert message.startswith("slug 'Acme!'")
    assert not (install.tenants / "Acme!.yaml").exists()
