"""``doorstep settle``: pay providers their earnings past the holding period."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from cli import context
from cli.errors import fail

app = typer.Typer(
    help="Settlement: pay each provider's available balance (idempotent per date).",
    invoke_without_command=True,
)
out = Console(highlight=False, markup=False, soft_wrap=True)


def _yuan(fen: int) -> str:
    from core.ledger.exports import yuan

    return yuan(fen)


@app.callback()
def settle(
    tenant: Annotated[str, typer.Option(help="Tenant slug, e.g. jiejia.")],
    when: Annotated[
        str,
        typer.Option(
            "--date", help="Settlement date, e.g. 2026-03-17 (tenant time; default: today)."
        ),
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Settle one date for a tenant: net what providers owe, pay the rest through the tenant's
    payout adapter. Running the same date again pays nothing twice."""
    from core.ledger.settlement import SettlementError, adapter_for
    from core.ledger.settlement import settle as run_settlement
    from core.tenancy.service import tenant_row_id

    day: date | None = None
    if when:
        try:
            day = date.fromisoformat(when)
        except ValueError:
            raise fail(f"--date {when}: not a date (use YYYY-MM-DD)") from None
    settings = context.settings()
    plugins = context.load_plugins()
    found = context.load_tenants(settings, plugins).get(tenant)
    if found is None:
        raise fail(f"--tenant {tenant}: no such tenant")
    try:
        adapter = adapter_for(found)
    except SettlementError as exc:
        raise fail(str(exc)) from None
    context.require_migrated(settings)
    now = datetime.now(UTC)
    if day is None:
        from zoneinfo import ZoneInfo

        day = now.astimezone(ZoneInfo(found.config.timezone)).date()

    async def run(progress: Progress) -> dict[str, Any]:
        tenant_id = await tenant_row_id(tenant)
        if tenant_id is None:
            raise fail(f"--tenant {tenant}: not registered yet (run doorstep migrate)")
        task = progress.add_task("providers", total=None)

        def step(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        result = await run_settlement(
            found, tenant_id, day, now=now, adapter=adapter, progress=step
        )
        return result.as_dict()

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        result = asyncio.run(run(progress))
    if as_json:
        typer.echo(json.dumps(result, default=str))
        return
    table = Table("provider", "available", "netted", "paid", "status", "reference")
    for line in result["providers"]:
        table.add_row(
            line["provider_id"][:8],
            _yuan(line["available"]),
            _yuan(line["netted"]),
            _yuan(line["paid"]),
            line["status"],
            line["reference"],
        )
    out.print(table)
    again = " (already settled: nothing new posted)" if result["repeated"] else ""
    out.print(f"{result['period']}: paid {_yuan(result['total_paid_fen'])}{again}")
