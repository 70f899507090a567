"""``doorstep``: deploy and run tenants from the command line."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli import accounts, context, dispatch, prices, reconcile, settle, tenant, theme
from cli.errors import BAD_INPUT, UserError, err, fail

app = typer.Typer(
    name="doorstep",
    help="Doorstep: a white-label kit for on-site home-service platforms.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
app.add_typer(tenant.app, name="tenant")
app.add_typer(theme.app, name="theme")
app.add_typer(prices.app, name="prices")
app.add_typer(dispatch.app, name="dispatch")
app.add_typer(settle.app, name="settle")
app.add_typer(reconcile.app, name="reconcile")
accounts.register(app)
plugins_app = typer.Typer(help="Installed plugins.", no_args_is_help=True)
app.add_typer(plugins_app, name="plugins")
out = Console(highlight=False, markup=False, soft_wrap=True)
CORE_COMMANDS = {
    *("demo", "serve", "migrate", "worker", "tenant", "theme", "plugins", "prices"),
    *("token", "staff", "keys", "dispatch", "settle", "reconcile"),
}


def _logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@app.command()
def migrate() -> None:
    """Bring the database to the newest schema and register new tenants."""
    from core.boot import prepare_database

    settings = context.settings()
    plugins = context.load_plugins()
    registry = context.load_tenants(settings, plugins)
    try:
        created = asyncio.run(prepare_database(settings, plugins, registry))
    except ValueError as exc:
        raise fail(str(exc)) from exc
    where = "PostgreSQL" if settings.database_url else str(settings.sqlite_path)
    out.print(f"database up to date ({where}); new tenants: {', '.join(created) or 'none'}")


@app.command()
def serve(
    port: Annotated[int, typer.Option(envvar="PORT", help="Port to listen on.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    workers: Annotated[
        int,
        typer.Option(
            envvar="DOORSTEP_WORKERS",
            help="Server processes, each with its own socket on the port (SO_REUSEPORT).",
        ),
    ] = 1,
) -> None:
    """Serve every tenant; refuses to start if any tenant file is invalid."""
    import uvicorn

    from core.web.app import create_app

    if not 1 <= port <= 65535:
        raise fail(f"--port {port}: must be between 1 and 65535")
    if not 1 <= workers <= 64:
        raise fail(f"--workers {workers}: must be between 1 and 64")
    settings = context.settings()
    plugins = context.load_plugins()
    registry = context.load_tenants(settings, plugins)
    _logging()
    from core.privacy.keys import KeyringError

    try:
        application = create_app(settings=settings, plugins=plugins, tenants=registry)
    except KeyringError as exc:
        raise fail(str(exc)) from exc
    for each in sorted(registry, key=lambda t: t.slug):
        out.print(f"  {each.name('zh_CN')}  http://{each.config.hosts[0]}:{port}")
    if workers > 1:
        from core.web.workers import serve_processes

        # Each worker builds the app itself from the same settings (checked above).
        try:
            code = serve_processes(
                "core.web.app:create_app", host, port, workers, log_level="info",
                proxy_headers=False,
            )  # fmt: skip
        except OSError as exc:
            raise fail(f"--port {port}: {exc.strerror or exc}") from exc
        raise typer.Exit(code)
    uvicorn.run(application, host=host, port=port, log_level="info", proxy_headers=False)


@app.command()
def demo(
    port: Annotated[int, typer.Option(envvar="PORT", help="Port to listen on.")] = 8000,
) -> None:
    """Migrate the embedded database, seed the demo tenants and serve them."""
    os.environ["DOORSTEP_DEMO"] = "1"
    migrate()
    from core.demo import seed_demo

    settings = context.settings()
    plugins = context.load_plugins()
    registry = context.load_tenants(settings, plugins)
    summary = asyncio.run(seed_demo(registry, plugins, settings))
    out.print(f"demo data: {summary}")
    serve(port=port, host="127.0.0.1")


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="Run one pass of due jobs, then exit.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between passes.")] = 5.0,
) -> None:
    """Run background jobs (outbox relay and scheduled jobs) until stopped."""
    from core.worker import run_pass

    if interval <= 0:
        raise fail("--interval must be positive")
    settings = context.settings()
    registry = context.load_tenants(settings, context.load_plugins())
    context.require_migrated(settings)
    _logging()
    while True:
        report = asyncio.run(run_pass(settings, registry))
        out.print(f"worker pass: {report}")
        if once:
            return
        time.sleep(interval)


@plugins_app.command("list")
def plugins_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List installed plugins, the vertical each declares and the hooks it implements."""
    pm = context.load_plugins()
    rows: list[dict[str, Any]] = []
    for name, plugin in sorted(pm.list_name_plugin()):
        vertical = pm.vertical_of_plugin(plugin)
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        rows.append(
            {
                "name": name,
                "vertical": vertical.slug if vertical else None,
                "label": vertical.label if vertical else None,
                "hooks": hooks,
                "core": name.startswith("core."),
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("plugin", "vertical", "label", "hooks")
    for row in rows:
        label = " / ".join(row["label"].values()) if row["label"] else ""
        table.add_row(row["name"], row["vertical"] or "-", label, ", ".join(row["hooks"]))
    out.print(table)


def _add_plugin_commands() -> None:
    """Commands plugins bring (``register_cli_commands``)."""
    try:
        pm = context.load_plugins()
    except typer.Exit:
        return  # reported again, properly, by the command the user runs
    for result in pm.hook.register_cli_commands():
        for sub in result or []:
            name = sub.info.name
            if not name or name in CORE_COMMANDS:
                err.print(f"warning: plugin command {name!r} ignored (missing or clashing name)")
                continue
            app.add_typer(sub, name=name)


def main() -> None:
    _add_plugin_commands()
    try:
        app()
    except UserError as exc:
        err.print(f"error: {exc}", markup=False)
        raise SystemExit(BAD_INPUT) from None
