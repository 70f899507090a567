"""``doorstep tenant check``: every problem of every tenant file, at once, as file: key: reason."""

from __future__ import annotations

import pytest

from tests.cli.conftest import assert_one_line_error, assert_user_error

BAD = """\
slug: acme-home
name: {zh_CN: 艾克美}
hosts: acme.localhost
timezone: Mars/Base
theme: {name: harbor, colour: blue}
verticals:
  gardening: {}
"""


def test_the_demo_tenants_are_ok(run):
    result = run("tenant", "check")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "ok: 2 tenant file(s) valid"
    assert result.stderr == ""


def test_every_problem_of_every_file_is_listed_and_the_check_fails(run, install):
    acme = install.write("acme.yaml", BAD)
    empty = install.write("empty.yaml", "")
    broken = install.write("broken.yaml", "slug: broken\nname: zh: 坏\n")

    result = run("tenant", "check")

    lines = assert_user_error(result)
    assert lines[:-1] == [
        f"{acme}: hosts: Expected 'array', got 'str'",
        f"{acme}: slug: must match the file name ('acme')",
        f"{acme}: theme.colour: unknown key",
        f"{acme}: timezone: unknown time zone 'Mars/Base'",
        f"{acme}: verticals.gardening: unknown vertical "
        "(installed: housekeeping, locksmith, repair, tutoring)",
        f"{broken}: (file): not valid YAML at line 2, column 9: "
        "mapping values are not allowed here",
        f"{empty}: (file): the file is empty",
    ]
    assert lines[-1] == "error: 7 problem(s) in 5 file(s)"
    assert result.stdout == ""


def test_two_tenants_claiming_one_host_fail_the_check(run, install):
    install.write(
        "acme.yaml",
        "slug: acme\nname: {en: Acme}\nhosts: [wanjia.localhost]\ntheme: {name: harbor}\n",
    )

    result = run("tenant", "check")

    lines = assert_user_error(result)
    assert len(lines) == 2
    assert "hosts[0]: 'wanjia.localhost' is also claimed by" in lines[0]
    assert str(install.tenants / "acme.yaml") in lines[0]
    assert str(install.tenants / "wanjia.yaml") in lines[0]


def test_checking_one_file_reports_only_that_file(run, install, tmp_path):
    install.write("other.yaml", "- not a tenant\n")  # a broken installed file, not asked about
    draft = tmp_path / "acme.yaml"
    draft.write_text(BAD.replace("acme-home", "acme"), encoding="utf-8")

    result = run("tenant", "check", str(draft))

    lines = assert_user_error(result)
    assert all(line.startswith(f"{draft}: ") for line in lines[:-1]), lines
    assert lines[-1] == "error: 4 problem(s) in 1 file(s)"


def test_checking_one_valid_file_outside_the_tenants_folder_is_ok(run, tmp_path):
    draft = tmp_path / "acme.yaml"
    draft.write_text(
        "slug: acme\nname: {zh_CN: 艾克美}\nhosts: [acme.localhost]\ntheme: {name: lantern}\n",
        encoding="utf-8",
    )

    result = run("tenant", "check", str(draft))

    assert result.exit_code == 0, result.output
    assert "ok: 1 tenant file(s) valid" in result.stdout


def test_checking_one_file_still_catches_a_host_an_installed_tenant_owns(run, tmp_path):
    draft = tmp_path / "acme.yaml"
    draft.write_text(
        "slug: acme\nname: {en: Acme}\nhosts: [jiejia.localhost]\ntheme: {name: harbor}\n",
        encoding="utf-8",
    )

    result = run("tenant", "check", str(draft))

    lines = assert_user_error(result)
    assert len(lines) == 2
    assert "'jiejia.localhost' is also claimed by" in lines[0]
    assert str(draft) in lines[0]


def test_a_file_that_does_not_exist_is_one_line_and_exit_2(run, install):
    reason = assert_one_line_error(run("tenant", "check", "nope.yaml"))

    assert reason == "nope.yaml: no such file"


def test_a_tenants_folder_that_does_not_exist_is_one_line_and_exit_2(run, install, monkeypatch):
    missing = install.root / "tenantz"
    monkeypatch.setenv("DOORSTEP_TENANTS", str(missing))

    reason = assert_one_line_error(run("tenant", "check"))

    assert reason == f"{missing}: no such folder of tenant files"


@pytest.mark.parametrize("name", ["[/x].yaml", "[bold]x.yaml"])
def test_a_file_name_that_looks_like_markup_is_printed_as_given(run, install, name):
    reason = assert_one_line_error(run("tenant", "check", name))

    assert reason == f"{name}: no such file"


def test_the_installed_program_exits_2_with_the_problems_on_stderr(doorstep, install):
    acme = install.write("acme.yaml", BAD)

    result = doorstep("tenant", "check")

    lines = assert_user_error(result)
    assert f"{acme}: timezone: unknown time zone 'Mars/Base'" in lines
    assert lines[-1] == "error: 5 problem(s) in 3 file(s)"


def test_the_installed_program_says_ok_for_the_demo_tenants(doorstep):
    result = doorstep("tenant", "check")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok: 2 tenant file(s) valid"
