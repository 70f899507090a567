"""``doorstep theme``: scaffold a code-free theme."""

from __future__ import annotations

import re
from typing import Annotated

import typer
import yaml
from rich.console import Console

from cli import context
from cli.errors import fail
from core.theming.model import available_themes

app = typer.Typer(help="Themes: design tokens, templates and static files.", no_args_is_help=True)
out = Console(highlight=False, markup=False, soft_wrap=True)


@app.command("new")
def new(
    name: Annotated[str, typer.Argument(help="Theme name: lower-case letters, digits, '-'.")],
    parent: Annotated[str, typer.Option(help="Theme to inherit from.")] = "harbor",
    primary_color: Annotated[str, typer.Option(help="Brand colour, e.g. '#7c3aed'.")] = "#7c3aed",
) -> None:
    """Create ``themes/<name>/`` inheriting ``--parent``; edit its tokens and templates."""
    settings = context.settings()
    if not re.fullmatch(r"[a-z][a-z0-9-]{1,30}", name):
        raise fail(f"theme name {name!r}: use lower-case letters, digits or '-'")
    installed = available_themes(settings.themes_dir)
    if name in installed:
        raise fail(f"theme {name!r} already exists")
    if parent not in installed:
        raise fail(f"--parent {parent}: unknown theme (installed: {', '.join(installed)})")
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", primary_color):
        raise fail(f"--primary-color {primary_color}: use a colour like '#7c3aed'")
    folder = settings.themes_dir / name
    (folder / "templates").mkdir(parents=True)
    (folder / "static").mkdir()
    spec = {
        "label": {"zh_CN": name, "en": name},
        "parent": parent,
        "tokens": {"color_primary": primary_color},
    }
    (folder / "theme.yaml").write_text(
        yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    (folder / "static" / "theme.css").write_text(
        f"/* {name}: rules added after {parent}'s */\n", encoding="utf-8"
    )
    out.print(f"created {folder}; use it with 'theme: {{name: {name}}}' in a tenant file")
