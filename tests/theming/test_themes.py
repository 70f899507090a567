"""Themes: a child inherits its parent's tokens and files; tokens compile to one hashed sheet."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.theming.css import compile_css
from core.theming.model import ThemeError, load_theme
from tests.conftest import ROOT

THEMES = ROOT / "themes"


def test_lantern_inherits_harbor():
    lantern = load_theme(THEMES, "lantern")

    assert [theme.name for theme in lantern.chain] == ["lantern", "harbor"]


def test_a_child_theme_overrides_some_tokens_and_inherits_the_rest():
    tokens = load_theme(THEMES, "lantern").tokens()
    harbor = load_theme(THEMES, "harbor").tokens()

    assert tokens["color_primary"] == "#b91c1c"
    assert tokens["font_heading"].endswith(" serif")
    assert tokens["font_body"] == harbor["font_body"]
    assert tokens["max_width"] == harbor["max_width"]


def test_a_tenants_tokens_override_the_themes():
    tokens = load_theme(THEMES, "harbor").tokens({"color_primary": "#0e7490"})

    assert tokens["color_primary"] == "#0e7490"
    assert tokens["color_bg"] == "#f4f7f6"


def test_the_sheet_has_tokens_first_then_the_root_theme_then_the_child():
    css = compile_css(load_theme(THEMES, "lantern"), {}).text

    assert css.startswith(":root {\n")
    assert "  --color-primary: #b91c1c;\n" in css
    assert css.index("/* theme: harbor */") < css.index("/* theme: lantern */")
    assert css.endswith((THEMES / "lantern" / "static" / "theme.css").read_text() + "\n")


def test_the_same_tokens_give_the_same_address():
    first = compile_css(load_theme(THEMES, "lantern"), {"color_accent": "#000000"})
    second = compile_css(load_theme(THEMES, "lantern"), {"color_accent": "#000000"})

    assert first.digest == second.digest
    assert first.filename == f"site.{first.digest}.css"


def test_any_token_change_changes_the_address():
    harbor = load_theme(THEMES, "harbor")
    base = compile_css(harbor, {}).digest

    assert compile_css(harbor, {"color_primary": "#0e7490"}).digest != base
    assert compile_css(harbor, {"radius": "15px"}).digest != base


def copy_themes(tmp_path: Path) -> Path:
    themes = tmp_path / "themes"
    shutil.copytree(THEMES, themes)
    return themes


def test_a_change_to_a_parent_themes_rules_changes_the_childs_address(tmp_path):
    themes = copy_themes(tmp_path)
    before = compile_css(load_theme(themes, "lantern"), {}).digest
    with (themes / "harbor" / "static" / "theme.css").open("a") as sheet:
        sheet.write(".new-rule { color: red; }\n")

    after = compile_css(load_theme(themes, "lantern"), {})

    assert after.digest != before
    assert ".new-rule" in after.text


def test_an_unknown_theme_is_named_with_the_installed_ones():
    with pytest.raises(ThemeError, match=r"unknown theme 'nope' \(installed: harbor, lantern\)"):
        load_theme(THEMES, "nope")


def test_a_parent_cycle_is_refused(tmp_path):
    themes = copy_themes(tmp_path)
    harbor = themes / "harbor" / "theme.yaml"
    harbor.write_text(harbor.read_text() + "parent: lantern\n")

    with pytest.raises(ThemeError, match="parent cycle"):
        load_theme(themes, "lantern")


def test_a_bad_token_value_names_the_file_and_the_token(tmp_path):
    themes = copy_themes(tmp_path)
    lantern = themes / "lantern" / "theme.yaml"
    lantern.write_text(lantern.read_text().replace('"#b91c1c"', '"red; }"'))

    with pytest.raises(ThemeError, match=r"lantern/theme\.yaml: tokens\.color_primary"):
        load_theme(themes, "lantern")
