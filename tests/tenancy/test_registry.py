"""All tenants together: the Host header picks the tenant; one bad file stops them all."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from core.tenancy.loader import TenantConfigError
from core.tenancy.registry import check_files, load_registry, tenant_files

ROOT = Path(__file__).resolve().parents[2]
THEMES = ROOT / "themes"


# Host -> tenant.


@pytest.mark.parametrize(
    ("host", "slug"),
    [
        ("jiejia.localhost", "jiejia"),
        ("wanjia.localhost", "wanjia"),
        ("jiejia.localhost:8000", "jiejia"),
        ("JieJia.localhost:8000", "jiejia"),
        ("WANJIA.LOCALHOST", "wanjia"),
        ("wanjia.localhost.", "wanjia"),
        (" jiejia.localhost ", "jiejia"),
    ],
)
def test_the_host_picks_the_tenant_whatever_the_port_or_case(tenants, host, slug):
    tenant = tenants.for_host(host)

    assert tenant is not None
    assert tenant.slug == slug


@pytest.mark.parametrize(
    "host",
    [
        "acme.localhost",
        "localhost",
        "",
        "jiejia.localhost.evil.example",
        "evil.example:jiejia.localhost",
        "x.jiejia.localhost",
        "[::1]:8000",
        "[::1]",
        "::1",
        "127.0.0.1:8000",
    ],
)
def test_a_host_no_tenant_claims_gives_no_tenant(tenants, host):
    assert tenants.for_host(host) is None


def test_the_demo_install_has_both_demo_tenants(tenants):
    assert sorted(t.slug for t in tenants) == ["jiejia", "wanjia"]
    assert len(tenants) == 2
    assert tenants.get("wanjia") is not None
    assert tenants.get("acme") is None


# Loading a folder of tenant files.


@pytest.fixture
def folder(tmp_path) -> Path:
    """A tenants folder holding copies of the two demo tenants."""
    target = tmp_path / "tenants"
    target.mkdir()
    for demo in ("jiejia", "wanjia"):
        shutil.copy(ROOT / "tenants" / f"{demo}.yaml", target)
    return target


def write(folder: Path, filename: str, config: dict[str, object]) -> Path:
    path = folder / filename
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def acme(**changes: object) -> dict[str, object]:
    return {
        "slug": "acme",
        "name": {"zh_CN": "艾克美"},
        "hosts": ["acme.localhost"],
        "theme": {"name": "harbor"},
        "verticals": {"repair": {}},
        **changes,
    }


def test_a_folder_of_valid_tenants_loads_and_serves_each_by_host(folder, plugins):
    write(folder, "acme.yaml", acme())

    registry = load_registry(folder, plugins.verticals, THEMES)

    assert sorted(t.slug for t in registry) == ["acme", "jiejia", "wanjia"]
    served = registry.for_host("acme.localhost:8000")
    assert served is not None and served.name("zh_CN") == "艾克美"


def test_tenant_files_are_the_yaml_files_of_the_folder_only(folder):
    (folder / "notes.txt").write_text("not a tenant", encoding="utf-8")
    (folder / "acme.yaml.bak").write_text("not a tenant", encoding="utf-8")
    write(folder, "acme.yml", acme())

    assert [p.name for p in tenant_files(folder)] == ["acme.yml", "jiejia.yaml", "wanjia.yaml"]


def test_two_tenants_claiming_the_same_host_are_both_named(folder, plugins):
    acme_file = write(folder, "acme.yaml", acme(hosts=["acme.localhost", "jiejia.localhost"]))
    jiejia_file = folder / "jiejia.yaml"

    _, problems = check_files(tenant_files(folder), plugins.verticals, THEMES)

    assert len(problems) == 1, [str(p) for p in problems]
    problem = problems[0]
    assert "'jiejia.localhost' is also claimed by" in problem.reason
    assert {problem.file, problem.reason.rsplit(" by ", 1)[1]} == {str(acme_file), str(jiejia_file)}


def test_two_files_with_the_same_slug_are_both_named(folder, plugins):
    """``jiejia.yml`` beside ``jiejia.yaml``: the slug matches each file name, yet clashes."""
    copy = folder / "jiejia.yml"
    copy.write_text(
        (folder / "jiejia.yaml")
        .read_text(encoding="utf-8")
        .replace("jiejia.localhost", "jj.localhost"),
        encoding="utf-8",
    )

    _, problems = check_files(tenant_files(folder), plugins.verticals, THEMES)

    assert [(p.key, p.reason) for p in problems] == [
        ("slug", f"also used by {folder / 'jiejia.yaml'}")
    ]
    assert problems[0].file == str(copy)


def test_one_bad_file_stops_the_whole_install_and_every_problem_is_listed(folder, plugins):
    write(folder, "acme.yaml", acme(timezone="Mars/Base", colour="blue"))
    (folder / "empty.yaml").write_text("", encoding="utf-8")
    write(folder, "shop.yaml", acme(slug="shop", hosts=["wanjia.localhost"]))

    with pytest.raises(TenantConfigError) as caught:
        load_registry(folder, plugins.verticals, THEMES)

    found = sorted((Path(p.file).name, p.key) for p in caught.value.problems)
    assert found == [
        ("acme.yaml", "colour"),
        ("acme.yaml", "timezone"),
        ("empty.yaml", ""),
        ("wanjia.yaml", "hosts[0]"),
    ]
    message = str(caught.value)
    assert message.count("\n") == len(caught.value.problems) - 1
    for problem in caught.value.problems:
        assert str(problem) in message


def test_problems_across_several_files_are_reported_together(folder, plugins):
    write(folder, "one.yaml", acme(slug="one", hosts=["one.localhost"], locales=["fr"]))
    write(folder, "two.yaml", acme(slug="two", hosts=["two.localhost"], theme={"name": "x"}))

    _, problems = check_files(tenant_files(folder), plugins.verticals, THEMES)

    assert [(Path(p.file).name, p.key) for p in problems] == [
        ("one.yaml", "locales[0]"),
        ("two.yaml", "theme.name"),
    ]


def test_a_tenants_folder_that_does_not_exist_is_an_error_not_an_empty_install(tmp_path, plugins):
    missing = tmp_path / "tenantz"

    with pytest.raises(TenantConfigError) as caught:
        load_registry(missing, plugins.verticals, THEMES)

    assert [(p.file, p.reason) for p in caught.value.problems] == [
        (str(missing), "no such folder of tenant files")
    ]
