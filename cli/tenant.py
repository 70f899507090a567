"""``doorstep tenant``: create, list and check tenant files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.table import Table

from cli import context
from cli.errors import err, fail
from core.boot import check_tenant_files
from core.tenancy.loader import SLUG
from core.tenancy.registry import tenant_files
from core.theming.model import available_themes

app = typer.Typer(help="Create, list and check tenants (one YAML file each).", no_args_is_help=True)
out = Console(highlight=False, markup=False, soft_wrap=True)


@app.command("check")
def check(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Tenant files to check; default: every tenant.")
    ] = None,
) -> None:
    """Check tenant files and list every problem at once (file, key path, reason)."""
    settings = context.settings()
    plugins = context.load_plugins()
    if not files and not settings.tenants_dir.is_dir():
        raise fail(f"{settings.tenants_dir}: no such folder of tenant files")
    paths = files or tenant_files(settings.tenants_dir)
    for path in paths:
        if not path.is_file():
            raise fail(f"{path}: no such file")
    if files:
        # Checked together with the installed tenants, so host clashes show up too.
        others = [
            p
            for p in tenant_files(settings.tenants_dir)
            if p.resolve() not in {f.resolve() for f in paths}
        ]
        _, problems = check_tenant_files([*paths, *others], settings, plugins)
        wanted = {str(p) for p in paths}
        # Keep the files' own problems and the clashes an installed file has with them.
        problems = [
            p
            for p in problems
            if p.file in wanted or any(p.reason.endswith(f" by {w}") for w in wanted)
        ]
    else:
        _, problems = check_tenant_files(paths, settings, plugins)
    for problem in problems:
        err.print(str(problem), markup=False)
    if problems:
        raise fail(f"{len(problems)} problem(s) in {len(paths)} file(s)")
    out.print(f"ok: {len(paths)} tenant file(s) valid")


@app.command("list")
def list_tenants(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the tenants of this install."""
    settings = context.settings()
    registry = context.load_tenants(settings, context.load_plugins())
    rows = [
        {
            "slug": t.slug,
            "name": t.config.name,
            "hosts": list(t.config.hosts),
            "locales": list(t.config.locales),
            "theme": t.theme.name,
            "verticals": list(t.enabled_verticals),
            "file": str(t.source),
        }
        for t in sorted(registry, key=lambda t: t.slug)
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("slug", "name", "hosts", "theme", "verticals")
    for t in sorted(registry, key=lambda t: t.slug):
        table.add_row(
            t.slug,
            " / ".join(t.config.name.values()),
            ", ".join(t.config.hosts),
            t.theme.name,
            ", ".join(t.enabled_verticals),
        )
    out.print(table)


@app.command("new")
def new(
    slug: Annotated[str, typer.Argument(help="Short id: lower-case letters, digits, '-'.")],
    name_zh: Annotated[str, typer.Option("--name-zh", help="Brand name in Chinese.")],
    name_en: Annotated[str, typer.Option("--name-en", help="Brand name in English.")] = "",
    vertical: Annotated[
        list[str] | None, typer.Option("--vertical", "-v", help="Enable a vertical (repeat).")
    ] = None,
    theme: Annotated[str, typer.Option(help="Theme name.")] = "harbor",
    host: Annotated[
        list[str] | None, typer.Option(help="Host name (repeat); default <slug>.localhost.")
    ] = None,
    primary_color: Annotated[str, typer.Option(help="Brand colour, e.g. '#2563eb'.")] = "",
) -> None:
    """Write ``tenants/<slug>.yaml``; it is served after the next restart."""
    settings = context.settings()
    plugins = context.load_plugins()
    if not SLUG.match(slug):
        raise fail(
            f"slug {slug!r}: use 2-40 lower-case letters, digits or '-', starting with a letter"
        )
    target = settings.tenants_dir / f"{slug}.yaml"
    if target.exists():
        raise fail(f"{target} already exists")
    verticals = vertical or ["housekeeping"]
    for v in verticals:
        if v not in plugins.verticals:
            installed = ", ".join(sorted(plugins.verticals))
            raise fail(f"--vertical {v}: unknown vertical (installed: {installed})")
    themes = available_themes(settings.themes_dir)
    if theme not in themes:
        raise fail(f"--theme {theme}: unknown theme (installed: {', '.join(themes)})")
    if primary_color and not re.fullmatch(r"#[0-9a-fA-F]{6}", primary_color):
        raise fail(f"--primary-color {primary_color}: use a colour like '#2563eb'")
    hosts = host or [f"{slug}.localhost"]
    document: dict[str, object] = {
        "slug": slug,
        "name": {"zh_CN": name_zh, "en": name_en or name_zh},
        "hosts": hosts,
        "locales": ["zh_CN", "en"],
        "timezone": "Asia/Shanghai",
        "currency": "CNY",
        "theme": {
            "name": theme,
            **({"tokens": {"color_primary": primary_color}} if primary_color else {}),
        },
        "verticals": {v: {} for v in verticals},
    }
    settings.tenants_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".yaml.tmp")
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    tmp.write_text(text, encoding="utf-8")
    try:
        others = [p for p in tenant_files(settings.tenants_dir) if p != target]
        staged = tmp.rename(target)
        _, problems = check_tenant_files([staged, *others], settings, plugins)
        if problems:
            staged.unlink()
            for problem in problems:
                err.print(str(problem), markup=False)
            raise fail("the new tenant would not be valid; nothing was written")
    finally:
        tmp.unlink(missing_ok=True)
    out.print(f"wrote {target}; restart the server to serve it at http://{hosts[0]}:8000")
