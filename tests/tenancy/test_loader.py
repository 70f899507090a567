"""Reading one tenant file: every mistake is named by file, key path and reason.

A tenant file with any problem gives no tenant at all (nothing starts half-configured), and
one read lists every problem of the file, not just the first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from core.tenancy.loader import TenantProblem, parse_tenant_file
from core.tenancy.model import Tenant

ROOT = Path(__file__).resolve().parents[2]
THEMES = ROOT / "themes"


def valid_acme() -> dict[str, Any]:
    """A small valid tenant; each test breaks one thing in it."""
    return {
        "slug": "acme",
        "name": {"zh_CN": "艾克美", "en": "Acme"},
        "hosts": ["acme.localhost"],
        "locales": ["zh_CN", "en"],
        "timezone": "Asia/Shanghai",
        "theme": {"name": "harbor"},
        "verticals": {"housekeeping": {"minimum_charge_fen": 9900}},
    }


@pytest.fixture
def read(tmp_path, plugins):
    """Write a tenant file (a dict is dumped as YAML, a str written as is) and read it back."""

    def read(content: dict[str, Any] | str, name: str = "acme.yaml") -> list[TenantProblem]:
        path = tmp_path / name
        text = content if isinstance(content, str) else yaml.safe_dump(content)
        path.write_text(text, encoding="utf-8")
        tenant, problems = parse_tenant_file(path, plugins.verticals, THEMES)
        if problems:
            assert tenant is None, "a tenant with problems must not be usable"
        assert all(p.file == str(path) for p in problems)
        return problems

    return read


def only(problems: list[TenantProblem]) -> TenantProblem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_the_small_valid_tenant_reads_without_problems(tmp_path, plugins):
    path = tmp_path / "acme.yaml"
    path.write_text(yaml.safe_dump(valid_acme(), allow_unicode=True), encoding="utf-8")

    tenant, problems = parse_tenant_file(path, plugins.verticals, THEMES)

    assert problems == []
    assert isinstance(tenant, Tenant)
    assert tenant.slug == "acme"
    assert tenant.name("zh_CN") == "艾克美"
    assert tenant.theme.name == "harbor"


@pytest.mark.parametrize("demo", ["jiejia", "wanjia"])
def test_the_demo_tenants_read_without_problems(plugins, demo):
    tenant, problems = parse_tenant_file(
        ROOT / "tenants" / f"{demo}.yaml", plugins.verticals, THEMES
    )

    assert problems == []
    assert tenant is not None and tenant.slug == demo


def test_a_vertical_enabled_with_an_empty_block_uses_its_defaults(read):
    """``repair:`` with nothing under it is how people write "enable it, defaults please"."""
    text = """
slug: acme
name: {zh_CN: 艾克美}
hosts: [acme.localhost]
theme: {name: harbor}
verticals:
  repair:
"""
    assert read(text) == []


# Bad input: the file itself.


def test_broken_yaml_is_reported_with_its_line_and_column(read):
    problem = only(read("slug: acme\nname: zh: 洁家\n"))

    assert problem.key == ""
    assert "not valid YAML" in problem.reason
    assert "line 2, column 9" in problem.reason
    assert str(problem).endswith(": (file): " + problem.reason)


def test_an_empty_file_is_reported(read):
    problem = only(read("# nothing yet\n"))

    assert (problem.key, problem.reason) == ("", "the file is empty")


def test_a_list_instead_of_a_mapping_is_reported(read):
    problem = only(read("- slug: acme\n- hosts: [acme.localhost]\n"))

    assert problem.key == ""
    assert "expected a mapping of keys, got a list" in problem.reason


def test_a_file_that_is_not_utf8_text_is_reported_not_raised(tmp_path, plugins):
    path = tmp_path / "acme.yaml"
    path.write_bytes("slug: 艾克美\n".encode("gb18030"))

    tenant, problems = parse_tenant_file(path, plugins.verticals, THEMES)

    assert tenant is None
    assert [(p.file, p.key) for p in problems] == [(str(path), "")]
    assert problems[0].reason.startswith("cannot read")


# Bad input: keys and types.


def test_an_unknown_top_level_key_is_named_with_the_known_keys(read):
    problem = only(read({**valid_acme(), "colour": "blue"}))

    assert problem.key == "colour"
    assert problem.reason.startswith("unknown key")
    assert "theme" in problem.reason and "hosts" in problem.reason


def test_an_unknown_nested_key_is_named_by_its_full_path(read):
    config = valid_acme()
    config["theme"] = {"name": "harbor", "colour": "blue"}

    problem = only(read(config))

    assert (problem.key, problem.reason) == ("theme.colour", "unknown key")


def test_an_unknown_key_in_a_vertical_block_is_named_by_its_full_path(read):
    config = valid_acme()
    config["verticals"] = {"housekeeping": {"min_charge": 9900}}

    problem = only(read(config))

    assert (problem.key, problem.reason) == ("verticals.housekeeping.min_charge", "unknown key")


def test_a_deeply_nested_unknown_key_is_named_by_its_full_path(read):
    config = {**valid_acme(), "policies": {"cancellation": {"free_hours": 12}}}

    problem = only(read(config))

    assert (problem.key, problem.reason) == ("policies.cancellation.free_hours", "unknown key")


def test_a_word_where_a_number_belongs_is_a_wrong_type(read):
    problem = only(read({**valid_acme(), "travel_speed_kmh": "fast"}))

    assert problem.key == "travel_speed_kmh"
    assert problem.reason == "Expected 'float', got 'str'"


def test_hosts_written_as_one_string_instead_of_a_list_is_a_wrong_type(read):
    problem = only(read({**valid_acme(), "hosts": "acme.localhost"}))

    assert problem.key == "hosts"
    assert problem.reason == "Expected 'array', got 'str'"


def test_a_wrong_type_inside_a_mapping_names_the_exact_entry(read):
    config = {**valid_acme(), "wording": {"zh_CN": {"Book now": 3}}}

    problem = only(read(config))

    assert problem.key == 'wording.zh_CN["Book now"]'
    assert problem.reason == "Expected 'str', got 'int'"


def test_a_wrong_type_in_a_list_item_names_its_index(read):
    problem = only(read({**valid_acme(), "hosts": ["acme.localhost", 8000]}))

    assert problem.key == "hosts[1]"
    assert "got 'int'" in problem.reason


@pytest.mark.parametrize("key", ["slug", "name", "hosts", "theme"])
def test_a_missing_required_key_is_named(read, key):
    config = valid_acme()
    del config[key]

    problem = only(read(config))

    assert (problem.key, problem.reason) == (key, "required key is missing")


def test_a_theme_without_its_name_is_a_missing_key(read):
    problem = only(read({**valid_acme(), "theme": {"tokens": {"color_primary": "#123456"}}}))

    assert (problem.key, problem.reason) == ("theme.name", "required key is missing")


# Bad input: values that have the right type but mean nothing here.


def test_a_theme_that_is_not_installed_is_named_with_the_installed_ones(read):
    problem = only(read({**valid_acme(), "theme": {"name": "ocean"}}))

    assert problem.key == "theme.name"
    assert "unknown theme 'ocean'" in problem.reason
    assert "harbor" in problem.reason and "lantern" in problem.reason


def test_a_vertical_that_is_not_installed_is_named_with_the_installed_ones(read):
    config = valid_acme()
    config["verticals"] = {"housekeeping": {}, "gardening": {}}

    problem = only(read(config))

    assert problem.key == "verticals.gardening"
    assert problem.reason.startswith("unknown vertical")
    for installed in ("housekeeping", "repair", "tutoring", "locksmith"):
        assert installed in problem.reason


def test_an_unknown_locale_and_a_locale_without_translations_are_both_named(read):
    problems = read({**valid_acme(), "locales": ["xx_YY", "fr"]})

    assert [(p.key, p.reason) for p in problems] == [
        ("locales[0]", "unknown locale 'xx_YY'"),
        ("locales[1]", "no translations for 'fr' (have: zh_CN, en)"),
    ]


def test_an_unknown_time_zone_is_named(read):
    problem = only(read({**valid_acme(), "timezone": "Mars/Olympus_Mons"}))

    assert (problem.key, problem.reason) == ("timezone", "unknown time zone 'Mars/Olympus_Mons'")


def test_a_slug_that_does_not_match_the_file_name_is_named(read):
    problem = only(read({**valid_acme(), "slug": "acme-home"}))

    assert problem.key == "slug"
    assert problem.reason == "must match the file name ('acme')"


@pytest.mark.parametrize("slug", ["Acme", "a", "9lives", "acme_home", "acme\n"])
def test_a_slug_that_is_not_a_short_lower_case_id_is_named(read, slug):
    problem = only(read({**valid_acme(), "slug": slug}))

    assert problem.key == "slug"
    assert problem.reason.startswith("use 2-40 lower-case letters")


@pytest.mark.parametrize("host", ["Acme.localhost", "acme.localhost:8000", "acme..localhost"])
def test_a_host_with_capitals_a_port_or_an_empty_label_is_named(read, host):
    problem = only(read({**valid_acme(), "hosts": [host]}))

    assert problem.key == "hosts[0]"
    assert "is not a lower-case host name without a port" in problem.reason


def test_a_brand_name_with_no_text_is_named(read):
    problem = only(read({**valid_acme(), "name": {"zh_CN": "  ", "en": ""}}))

    assert (problem.key, problem.reason) == ("name", "give the name in zh_CN or en")


def test_a_design_token_that_is_not_a_colour_is_named(read):
    config = {**valid_acme(), "theme": {"name": "harbor", "tokens": {"color_primary": "red"}}}

    problem = only(read(config))

    assert problem.key == "theme.tokens.color_primary"
    assert problem.reason == "'red' is not a colour like '#0f766e'"


def test_an_unknown_design_token_is_named(read):
    config = {**valid_acme(), "theme": {"name": "harbor", "tokens": {"colour_primary": "#fff"}}}

    problem = only(read(config))

    assert problem.key == "theme.tokens.colour_primary"
    assert problem.reason.startswith("unknown design token")


# Bad input: secrets.


def payment(**settings: Any) -> dict[str, Any]:
    return {**valid_acme(), "payments": [{"provider": "alipay", "settings": settings}]}


def test_a_secret_from_an_environment_variable_that_is_set_is_accepted(read, monkeypatch):
    monkeypatch.setenv("ACME_ALIPAY_KEY", "s3cret")

    assert read(payment(app_id="2021", api_key={"$env": "ACME_ALIPAY_KEY"})) == []


def test_a_secret_from_an_unset_environment_variable_is_named(read, monkeypatch):
    monkeypatch.delenv("ACME_ALIPAY_KEY", raising=False)

    problem = only(read(payment(api_key={"$env": "ACME_ALIPAY_KEY"})))

    assert problem.key == "payments[0].settings.api_key"
    assert problem.reason == "environment variable ACME_ALIPAY_KEY is not set"


def test_a_secret_written_inline_is_rejected(read):
    problem = only(read(payment(app_id="2021", api_key="abc")))

    assert problem.key == "payments[0].settings.api_key"
    assert problem.reason == "secrets must be given as {$env: NAME}, never inline"


def test_a_misspelt_env_reference_is_named_by_its_full_path(read):
    problem = only(read(payment(api_key={"env": "ACME_ALIPAY_KEY"})))

    assert (problem.key, problem.reason) == ("payments[0].settings.api_key.env", "unknown key")


# Several problems at once.


def test_every_problem_of_a_file_is_reported_in_one_read(read, monkeypatch):
    monkeypatch.delenv("ACME_ALIPAY_KEY", raising=False)
    config = valid_acme()
    config.update(
        slug="acme-home",
        colour="blue",
        travel_speed_kmh="fast",
        locales=["xx_YY", "en"],
        timezone="Mars/Base",
        theme={"name": "harbor", "tokens": {"color_primary": "red"}},
        verticals={"housekeeping": {"min_charge": 1}, "gardening": {}},
        payments=[
            {"provider": "alipay", "settings": {"api_key": {"$env": "ACME_ALIPAY_KEY"}}},
            {"provider": "wechat", "settings": {"mch_secret": "abc"}},
        ],
    )

    problems = read(config)

    assert sorted(p.key for p in problems) == [
        "colour",
        "locales[0]",
        "payments[0].settings.api_key",
        "payments[1].settings.mch_secret",
        "slug",
        "theme.tokens.color_primary",
        "timezone",
        "travel_speed_kmh",
        "verticals.gardening",
        "verticals.housekeeping.min_charge",
    ]


def test_a_wrong_type_does_not_hide_the_other_problems_of_the_file(read):
    """Keys that cannot be read are reported and left out; the rest is still checked."""
    config = {**valid_acme(), "hosts": "acme.localhost", "timezone": "Mars/Base"}
    config["theme"] = {"name": "harbor", "tokens": {"color_primary": "red"}}

    problems = read(config)

    assert sorted(p.key for p in problems) == ["hosts", "theme.tokens.color_primary", "timezone"]


def test_a_problem_reads_as_file_key_and_reason(read, tmp_path):
    problem = only(read({**valid_acme(), "timezone": "Mars/Base"}))

    assert str(problem) == f"{tmp_path / 'acme.yaml'}: timezone: unknown time zone 'Mars/Base'"
