"""``doorstep prices``: list a tenant's prices and change them within their bands."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from cli import context
from cli.errors import fail
from core.catalog.model import TenantCatalog
from core.tenancy.model import Tenant

app = typer.Typer(
    help="A tenant's prices: list them, change them within the bands its YAML allows.",
    no_args_is_help=True,
)
out = Console(highlight=False, markup=False, soft_wrap=True)
TenantOption = Annotated[str, typer.Option("--tenant", help="Tenant slug, e.g. 'jiejia'.")]


def _tenant(slug: str) -> tuple[Tenant, TenantCatalog]:
    """The tenant and its catalogue, on a migrated database; exit 2 otherwise."""
    from core.catalog.service import build_catalog

    settings = context.settings()
    plugins = context.load_plugins()
    registry = context.load_tenants(settings, plugins)
    tenant = registry.get(slug)
    if tenant is None:
        known = ", ".join(sorted(t.slug for t in registry)) or "none"
        raise fail(f"--tenant {slug}: no such tenant (tenants: {known})")
    context.require_migrated(settings)
    from core.privacy import service as privacy
    from core.privacy.keys import KeyringError

    try:
        privacy.configure(settings)
    except KeyringError as exc:
        raise fail(str(exc)) from exc
    return tenant, build_catalog(plugins, tenant)[0]


def _label(tenant: Tenant, text: dict[str, str]) -> str:
    return tenant.config.text(text, tenant.config.locales[0])


@app.command("list")
def list_prices(
    tenant_slug: TenantOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every tier of the tenant: reference, name, current price and allowed band (in fen)."""
    from core.catalog.price_lists import price_list

    tenant, catalog = _tenant(tenant_slug)
    try:
        prices = asyncio.run(price_list(tenant, datetime.now(UTC)))
    except LookupError as exc:
        raise fail(f"{exc}") from exc
    rows: list[dict[str, Any]] = []
    for item in catalog.items:
        for tier in item.tiers:
            ref = f"{item.ref}.{tier.key}"
            rows.append(
                {
                    "ref": ref,
                    "item": dict(item.label),
                    "tier": dict(tier.label),
                    "unit": tier.unit,
                    "price_fen": prices.prices.get(ref, tier.price_fen),
                    "min_fen": tier.price_min_fen,
                    "max_fen": tier.price_max_fen,
                }
            )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "tenant": tenant.slug,
                    "currency": tenant.config.currency,
                    "version": prices.version,
                    "tiers": rows,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    table = Table(
        title=f"{tenant.slug}: price list version {prices.version} ({tenant.config.currency})"
    )
    table.add_column("tier ref", overflow="fold")  # never cut: it is what 'prices set' takes
    table.add_column("name")
    table.add_column("price (fen)", justify="right")
    table.add_column("band (fen)", justify="right")
    for row in rows:
        label = f"{_label(tenant, row['item'])} · {_label(tenant, row['tier'])}"
        price = f"{row['price_fen']} /{row['unit']}"
        table.add_row(row["ref"], label, price, f"{row['min_fen']}-{row['max_fen']}")
    out.print(table)


@app.command("set", context_settings={"ignore_unknown_options": True})
def set_prices(
    tenant_slug: TenantOption,
    pairs: Annotated[
        list[str],
        typer.Argument(
            metavar="REF FEN",
            help="Tier references and new prices in fen, e.g. "
            "'housekeeping.home_cleaning.deep 1000'.",
        ),
    ],
    reason: Annotated[
        str, typer.Option("--reason", help="Why the prices change (kept in the history).")
    ],
    effective: Annotated[
        str | None,
        typer.Option(
            "--effective",
            help="When the prices apply, ISO 8601 (e.g. 2026-04-01T00:00); without an offset "
            "it is in the tenant's time zone. Default: now.",
        ),
    ] = None,
) -> None:
    """Change prices as one new price-list version; nothing is saved if any is wrong."""
    from core.catalog import editing
    from core.catalog.price_lists import change_prices
    from core.catalog.pricing import QuoteError

    # Unknown options are let through so that a negative price reaches the check below.
    for arg in pairs:
        if arg.startswith("-") and not arg[1:].isdigit():
            raise fail(f"no such option: {arg} (see 'doorstep prices set --help')")
    if len(pairs) % 2:
        raise fail(f"{pairs[-1]}: give a price in fen after each tier reference (REF FEN ...)")
    changes: dict[str, int] = {}
    for ref, fen in zip(pairs[::2], pairs[1::2], strict=True):
        if not (fen.isascii() and fen.isdigit()):
            raise fail(f"prices.{ref}: {fen!r} is not a whole number of fen (¥10.00 is 1000)")
        if ref in changes:
            raise fail(f"prices.{ref}: given twice")
        changes[ref] = int(fen)
    if not reason.strip():
        raise fail("--reason: say why the prices change")
    tenant, catalog = _tenant(tenant_slug)
    now = datetime.now(UTC)
    try:
        effective_at = editing.effective_time(effective or "", tenant.config.timezone, now)
    except editing.EffectiveTimeError as exc:
        raise fail(f"--effective: {exc}") from exc

    async def save() -> int:
        return await change_prices(
            tenant,
            catalog,
            changes,
            actor=editing.CLI_ACTOR,
            reason=reason,
            source="admin",
            effective_at=effective_at,
            now=now,
        )

    try:
        number = asyncio.run(save())
    except QuoteError as exc:
        hint = " (see 'doorstep prices list')" if any(
            p.reason == "no such service tier" for p in exc.problems
        ) else ""  # fmt: skip
        raise fail("; ".join(f"{p.field}: {p.reason}" for p in exc.problems) + hint) from exc
    except LookupError as exc:
        raise fail(f"{exc}") from exc
    if not number:
        out.print("nothing changed: every price is already as given")
        return
    when = (effective_at or now).astimezone(ZoneInfo(tenant.config.timezone))
    out.print(
        f"saved price list version {number} for {tenant.slug}; "
        f"in force from {when:%Y-%m-%d %H:%M} ({tenant.config.timezone})"
    )
