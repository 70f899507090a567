"""``doorstep token``, ``doorstep staff`` and ``doorstep keys``: accounts and personal-data keys."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli import context
from cli.errors import err, fail

token_app = typer.Typer(
    help="API bearer tokens for the agencies' mobile apps.", no_args_is_help=True
)
staff_app = typer.Typer(help="Tenant staff accounts (email + password).", no_args_is_help=True)
keys_app = typer.Typer(help="Personal-data encryption keys.", no_args_is_help=True)
out = Console(highlight=False, markup=False, soft_wrap=True)


def _open_tenant(slug: str) -> str:
    """Check the tenant, the database and the keys; the tenant's row id."""
    from core.privacy import service as privacy
    from core.privacy.keys import KeyringError
    from core.tenancy.service import tenant_row_id

    settings = context.settings()
    registry = context.load_tenants(settings, context.load_plugins())
    if registry.get(slug) is None:
        known = ", ".join(sorted(t.slug for t in registry)) or "none"
        raise fail(f"--tenant {slug}: no such tenant (tenants: {known})")
    context.require_migrated(settings)
    try:
        privacy.configure(settings)
    except KeyringError as exc:
        raise fail(str(exc)) from exc
    tenant_id = asyncio.run(tenant_row_id(slug))
    if tenant_id is None:
        raise fail(f"--tenant {slug} is not in the database yet; run 'doorstep migrate'")
    return tenant_id


@token_app.command("issue")
def token_issue(
    tenant: Annotated[str, typer.Option(help="Tenant slug, e.g. jiejia.")],
    user: Annotated[str, typer.Option(help="User id, mobile number or staff email.")],
    label: Annotated[str, typer.Option(help="What the token is for (shown to the user).")] = "cli",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Issue an API bearer token for a user of a tenant. It is printed once: store it now."""
    from core.accounts import directory, service, signin
    from core.accounts.profile import NotFound
    from core.accounts.service import AccountError

    tenant_id = _open_tenant(tenant)

    async def issue() -> tuple[str, str]:
        user_id = await directory.find_account(tenant_id, user)
        if not await directory.is_active(tenant_id, user_id):
            raise AccountError("user", "the account is disabled or deleted")
        return user_id, await signin.issue_token(user_id, tenant_id, label=label)

    try:
        user_id, token = asyncio.run(issue())
    except NotFound:
        raise fail(f"--user {user}: no such account on {tenant}") from None
    except AccountError as exc:
        raise fail(f"--user {user}: {exc.reason}") from None
    expires = (service.now_utc() + signin.TOKEN_TTL).isoformat(timespec="seconds")
    if as_json:
        doc = {"token": token, "userId": user_id, "tenant": tenant, "label": label,
               "expiresAt": expires}  # fmt: skip
        typer.echo(json.dumps(doc))
        return
    typer.echo(token)
    err.print(
        f"token for user {user_id} on {tenant}, valid until {expires}; it is not shown again",
        markup=False,
    )


@staff_app.command("add")
def staff_add(
    tenant: Annotated[str, typer.Option(help="Tenant slug, e.g. jiejia.")],
    email: Annotated[str, typer.Option(help="The staff member's email (their sign-in).")],
    role: Annotated[
        list[str],
        typer.Option(
            help="admin, dispatcher, support, safety_officer or quality_inspector; repeatable."
        ),
    ],
    name: Annotated[str, typer.Option(help="Their name (stored encrypted).")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a staff account to a tenant. The password is asked for (or read from stdin)."""
    from core.accounts import passwords
    from core.accounts.service import AccountError

    if not role:
        raise fail("--role: give at least one role")
    tenant_id = _open_tenant(tenant)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:

        async def create() -> str:
            return await passwords.create_staff(tenant_id, email, password, list(role), name)

        user_id = asyncio.run(create())
    except AccountError as exc:
        option = {"roles": "role"}.get(exc.field, exc.field)
        raise fail(f"--{option}: {exc.reason}") from None
    out.print(f"staff account {user_id} added to {tenant} with role(s) {', '.join(role)}")


@keys_app.command("rotate")
def keys_rotate(
    batch_size: Annotated[int, typer.Option(help="Values re-encrypted per transaction.")] = 500,
) -> None:
    """Re-encrypt every personal value under a new data key, in batches, while serving.

    Keys in var/keys.json: a new key is added first.

    Keys in the environment: put the new key first in DOORSTEP_DATA_KEYS (the old ones after
    it), restart the servers, then run this.
    """
    from core.privacy import service as privacy
    from core.privacy.keys import KeyringError, add_data_key, keys_file

    if batch_size < 1:
        raise fail("--batch-size must be at least 1")
    settings = context.settings()
    context.require_migrated(settings)
    from_env = bool(os.environ.get("DOORSTEP_DATA_KEYS"))
    if not from_env:
        if not keys_file(settings).is_file():
            raise fail(f"no keys in {keys_file(settings)}; run 'doorstep migrate' first")
        added = add_data_key(settings)
        out.print(f"new data key {added} added to {keys_file(settings)}")
    try:
        ring = privacy.configure(settings)
    except KeyringError as exc:
        raise fail(str(exc)) from exc
    _load_sealed_columns()
    pending = asyncio.run(privacy.pending_rotation())
    if from_env and pending == 0:
        raise fail(
            f"every value is already under {ring.current}, the first key in DOORSTEP_DATA_KEYS: "
            "put a new key first in DOORSTEP_DATA_KEYS (keep the old ones after it), "
            "restart the servers and run this again"
        )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as progress:
        task = progress.add_task(f"re-encrypting under {ring.current}", total=pending)

        def advance(field: str, done: int) -> None:
            progress.update(task, completed=done, description=f"re-encrypting {field}")

        done = asyncio.run(privacy.rotate(batch_size=batch_size, progress=advance))
        progress.update(task, completed=done)
    out.print(f"{done} value(s) re-encrypted under key {ring.current}")


def _load_sealed_columns() -> None:
    """Import every domain's tables, so each registered its sealed columns."""
    from core.db import all_tables

    all_tables()


def register(app: Any) -> None:
    app.add_typer(token_app, name="token")
    app.add_typer(staff_app, name="staff")
    app.add_typer(keys_app, name="keys")
