"""``doorstep dispatch``: day plans from the command line."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli import context
from cli.errors import fail

app = typer.Typer(help="Day plans: routes for every provider of a day.", no_args_is_help=True)
out = Console(highlight=False, markup=False, soft_wrap=True)


@app.command("plan")
def plan(
    tenant: Annotated[str, typer.Option(help="Tenant slug, e.g. jiejia.")],
    date: Annotated[str, typer.Option(help="The day to plan, e.g. 2026-03-11 (tenant time).")],
    area: Annotated[str, typer.Option(help="Only this district (default: the whole city).")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Plan a day: assign and order every open booking of the day, store the plan as the
    current one and notify people whose arrival window moved."""
    from core.dispatch import service
    from core.privacy import service as privacy
    from core.privacy.keys import KeyringError
    from core.tenancy.service import tenant_row_id

    try:
        day = service.parse_day(date)
    except service.DispatchError as exc:
        raise fail(f"--date {date}: {exc.reason}") from None
    settings = context.settings()
    plugins = context.load_plugins()
    found = context.load_tenants(settings, plugins).get(tenant)
    if found is None:
        raise fail(f"--tenant {tenant}: no such tenant")
    context.require_migrated(settings)
    try:
        privacy.configure(settings)
    except KeyringError as exc:
        raise fail(str(exc)) from exc
    tools = service.adapters(plugins, found)

    async def run(progress: Progress) -> dict[str, Any]:
        tenant_id = await tenant_row_id(tenant)
        if tenant_id is None:
            raise typer.Exit(2)
        task = progress.add_task("reading", total=len(service.STAGES))

        def step(stage: str) -> None:
            progress.update(task, description=stage, completed=service.STAGES.index(stage))

        result = await service.plan_day(
            found, tenant_id, day, tools, area=area, now=datetime.now(UTC), progress=step
        )
        progress.update(task, description="done", completed=len(service.STAGES))
        return result

    columns = (TextColumn("{task.description:<8}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=as_json) as progress:
        stored = asyncio.run(run(progress))
    if as_json:
        typer.echo(json.dumps(_public(stored), default=str))
        return
    totals = stored["totals"]
    table = Table("provider", "jobs", "km", "idle min")
    for route in stored["routes"]:
        jobs = sum(1 for s in route["stops"] if s["job"])
        table.add_row(
            route["provider"][:8],
            str(jobs),
            f"{route['metres'] / 1000:.1f}",
            str(route["idle_s"] // 60),
        )
    out.print(table)
    out.print(
        f"{totals['routed']}/{totals['jobs']} jobs routed, {totals['travel_km']} km, "
        f"idle {totals['idle_minutes']} min, windows kept {totals['windows_kept']}, "
        f"unassigned {totals['unassigned']}"
    )
    for job in stored["unassigned"]:
        out.print(f"unassigned {job['job']}: {job['reason']}")


def _public(stored: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "day", "area", "solver", "origin", "routes", "unassigned", "totals")
    return {k: stored[k] for k in keys}
