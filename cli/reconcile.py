"""``doorstep reconcile``: the payment services' records against the ledger, every difference."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli import context
from cli.errors import fail

app = typer.Typer(
    help="Reconciliation: payments and refunds at the payment services against the ledger.",
    invoke_without_command=True,
)
out = Console(highlight=False, markup=False, soft_wrap=True)
DIFFERENCES = 1
"""Exit code when the period has differences (0: clean, 2: bad input)."""


@app.callback()
def reconcile(
    tenant: Annotated[str, typer.Option(help="Tenant slug, e.g. jiejia.")],
    first: Annotated[str, typer.Option("--from", help="First day, e.g. 2026-03-01 (tenant time).")],
    last: Annotated[str, typer.Option("--to", help="Last day, included, e.g. 2026-03-31.")],
    statement: Annotated[
        Path | None,
        typer.Option(
            help="A statement file from the payment service (CSV with the columns "
            "out_trade_no,kind,amount_fen) to check instead of the kit's own records."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """List every difference between the payment services and the books for the period.
    Exit code 0 when everything matches, 1 when there are differences, 2 for bad input."""
    from core.payments.reconciliation import (
        ReconcileInputError,
        parse_statement,
        period,
        reconcile_period,
    )
    from core.tenancy.service import tenant_row_id

    settings = context.settings()
    plugins = context.load_plugins()
    found = context.load_tenants(settings, plugins).get(tenant)
    if found is None:
        raise fail(f"--tenant {tenant}: no such tenant")
    try:
        day1, day2, start, end = period(first, last, found.config.timezone)
        rows = None
        if statement is not None:
            try:
                text = statement.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise fail(f"--statement {statement}: cannot be read ({exc})") from None
            rows = parse_statement(text)
    except ReconcileInputError as exc:
        raise fail(f"--{exc.field} {exc.reason}") from None
    context.require_migrated(settings)

    async def run() -> dict[str, Any]:
        tenant_id = await tenant_row_id(tenant)
        if tenant_id is None:
            raise fail(f"--tenant {tenant}: not registered yet (run doorstep migrate)")
        report = await reconcile_period(str(tenant_id), day1, day2, start, end, rows)
        return report.as_dict()

    result = asyncio.run(run())
    if as_json:
        typer.echo(json.dumps(result))
    else:
        _print(result)
    if not result["clean"]:
        raise typer.Exit(DIFFERENCES)


def _print(result: dict[str, Any]) -> None:
    from core.ledger.exports import yuan

    source = "statement file" if result["source"] == "statement" else "the kit's gateway records"
    out.print(f"{result['from']} – {result['to']}: {source} against the ledger")
    out.print(
        f"payment services {yuan(result['gateway_total_fen'])}, "
        f"ledger {yuan(result['ledger_total_fen'])}, {result['matched']} matched"
    )
    if result["clean"]:
        out.print("no differences")
        return
    table = Table("problem", "order", "kind", "method", "gateway", "ledger", "gap")
    for line in result["differences"]:
        table.add_row(
            line["problem"],
            line["out_trade_no"],
            line["kind"],
            line["method"] or "-",
            yuan(line["gateway_fen"]),
            yuan(line["ledger_fen"]),
            yuan(line["gap_fen"]),
        )
    out.print(table)
    out.print(f"{len(result['differences'])} differences")
