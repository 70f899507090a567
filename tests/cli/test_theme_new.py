"""``doorstep theme new``: a code-free theme that inherits another and a tenant can use."""

from __future__ import annotations

import pytest
import yaml

from core.theming.model import load_theme
from tests.cli.conftest import assert_one_line_error


def test_a_new_theme_inherits_its_parent_and_a_tenant_can_use_it(run, install):
    result = run("theme", "new", "ocean", "--parent", "harbor")

    assert result.exit_code == 0, result.output
    folder = install.themes / "ocean"
    assert f"created {folder}" in result.stdout
    assert (folder / "templates").is_dir()
    assert (folder / "static" / "theme.css").is_file()
    spec = yaml.safe_load((folder / "theme.yaml").read_text(encoding="utf-8"))
    assert spec["parent"] == "harbor"

    theme = load_theme(install.themes, "ocean")
    assert [t.name for t in theme.chain] == ["ocean", "harbor"]
    tokens = theme.tokens()
    assert tokens["color_primary"] == "#7c3aed"  # its own
    assert tokens["radius"] == "14px"  # inherited from harbor

    install.write(
        "acme.yaml",
        "slug: acme\nname: {zh_CN: 艾克美}\nhosts: [acme.localhost]\ntheme: {name: ocean}\n",
    )
    check = run("tenant", "check")
    assert check.exit_code == 0, check.output
    assert check.stdout.strip() == "ok: 3 tenant file(s) valid"


def test_a_theme_can_inherit_a_theme_that_itself_inherits(run, install):
    result = run("theme", "new", "dusk", "--parent", "lantern", "--primary-color", "#1e293b")

    assert result.exit_code == 0, result.output
    theme = load_theme(install.themes, "dusk")
    assert [t.name for t in theme.chain] == ["dusk", "lantern", "harbor"]
    assert theme.tokens()["color_primary"] == "#1e293b"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["Ocean"], "theme name 'Ocean': use lower-case letters, digits or '-'"),
        (["o"], "theme name 'o'"),
        (["../ocean"], "theme name '../ocean'"),
        (["[/b]"], "theme name '[/b]'"),
        (["harbor"], "theme 'harbor' already exists"),
        (
            ["ocean", "--parent", "reef"],
            "--parent reef: unknown theme (installed: harbor, lantern)",
        ),
        (["ocean", "--primary-color", "blue"], "--primary-color blue: use a colour like"),
    ],
    ids=["capitals", "too-short", "path", "markup", "exists", "parent", "colour"],
)
def test_a_bad_new_theme_is_one_line_exit_2_and_creates_nothing(run, install, args, reason):
    before = install.files()

    message = assert_one_line_error(run("theme", "new", *args))

    assert reason in message
    assert install.files() == before
