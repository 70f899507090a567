"""Sessions (the cookie) and API bearer tokens: starting and ending them, and whose they are."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from core import rawsql
from core.accounts.schemas import CurrentUser
from core.accounts.service import now_utc, security_event
from core.accounts.tables import ApiToken, Session, User
from core.db import write_transaction
from core.tenancy import counters
from core.tenancy.scoped import secret_lookup, within_tenant

SESSION_TTL = timedelta(days=30)
TOKEN_TTL = timedelta(days=90)


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@within_tenant
async def start_session(
    user_id: str, tenant_id: Any, replaces: str = "", now: datetime | None = None
) -> str:
    """A new session (the cookie value). ``replaces`` (the old cookie) is ended: rotation."""
    now = now or now_utc()
    token = secrets.token_urlsafe(32)
    async with write_transaction():
        if replaces:
            await Session.update({Session.ended_at: now}).where(
                Session.id == _hash_secret(replaces)
            )
        await Session.insert(
            Session(
                id=_hash_secret(token),
                tenant=tenant_id,
                user=user_id,
                created_at=now,
                expires_at=now + SESSION_TTL,
            )
        )
    return token


async def end_session(token: str, now: datetime | None = None) -> None:
    async with write_transaction():
        await Session.update({Session.ended_at: now or now_utc()}).where(
            Session.id == _hash_secret(token)
        )


@within_tenant
async def issue_token(
    user_id: str, tenant_id: Any, label: str = "", now: datetime | None = None
) -> str:
    """A bearer token for the API, bound to this tenant and user. Shown once, stored hashed."""
    now = now or now_utc()
    token = "dst_" + secrets.token_urlsafe(32)
    async with write_transaction():
        await ApiToken.insert(
            ApiToken(
                token_hash=_hash_secret(token),
                tenant=tenant_id,
                user=user_id,
                label=label[:80],
                created_at=now,
                expires_at=now + TOKEN_TTL,
            )
        )
    return token


async def revoke_token(token: str, now: datetime | None = None) -> None:
    async with write_transaction():
        await ApiToken.update({ApiToken.revoked_at: now or now_utc()}).where(
            ApiToken.token_hash == _hash_secret(token)
        )


async def _current(
    user_id: Any, tenant_id: Any, via: str, session_id: str = ""
) -> CurrentUser | None:
    # tenant-scope: the user of a session or token row already checked; tenant compared below
    user = await rawsql.first(
        User,
        columns=["id", "tenant", "kind", "roles", "disabled_at", "deleted_at"],
        id=user_id,
    )
    return _signed_in(user, tenant_id, via, session_id)


def _signed_in(
    user: dict[str, Any] | None, tenant_id: Any, via: str, session_id: str = ""
) -> CurrentUser | None:
    """The signed-in user from their row, if it may act on this tenant now."""
    if user is None or user["disabled_at"] is not None or user["deleted_at"] is not None:
        return None
    if user["tenant"] is not None and str(user["tenant"]) != str(tenant_id):
        return None
    return CurrentUser(
        id=str(user["id"]),
        tenant_id=str(tenant_id),
        kind=user["kind"],
        roles=tuple(r for r in user["roles"].split(",") if r),
        via=via,  # type: ignore[arg-type]
        session_id=session_id,
    )


@within_tenant
async def session_user(
    token: str, tenant_id: Any, now: datetime | None = None
) -> CurrentUser | None:
    """The signed-in user of a session cookie, on this tenant only."""
    now = now or now_utc()
    row = (
        await Session.select(
            Session.id, Session.user, Session.tenant, Session.expires_at, Session.ended_at
        )
        .where(Session.id == _hash_secret(token))
        .first()
    )
    if row is None or row["ended_at"] is not None or row["expires_at"] <= now:
        return None
    if str(row["tenant"]) != str(tenant_id):
        return None
    return await _current(row["user"], tenant_id, "session", row["id"])


BEARER_SQL = (
    "SELECT t.tenant AS tenant, t.expires_at AS expires_at, t.revoked_at AS revoked_at, "  # noqa: S608 - constant sub-queries; the token is a parameter
    "u.id AS id, u.tenant AS user_tenant, u.kind AS kind, u.roles AS roles, "
    "u.disabled_at AS disabled_at, u.deleted_at AS deleted_at, "
    f"{counters.columns('t.tenant')} "
    'FROM accounts_api_token t LEFT JOIN accounts_user u ON u.id = t."user" '
    "WHERE t.token_hash = {} LIMIT 1"
)
"""A token and its user in one statement (every API request runs it). On PostgreSQL the
user's row is joined only if row security shows it (this tenant's, or no tenant's). With them,
the tenant's change counters (``core.tenancy.counters``): what the request may take from the
process's memory instead of reading it again."""


@within_tenant
async def token_user(token: str, tenant_id: Any, now: datetime | None = None) -> CurrentUser | None:
    """The user of a bearer token, on this tenant only (another tenant's token is refused)."""
    now = now or now_utc()
    token_hash = _hash_secret(token)
    # tenant-scope: looked up by the hash of the token the caller holds; tenant compared below
    rows = await rawsql.select(ApiToken, BEARER_SQL, token_hash)
    if not rows:
        # Not among this tenant's tokens (PostgreSQL row security). Holding the token shows
        # its row whatever its tenant, so a token of another tenant is told apart from an
        # unknown one; a token of this tenant (nearly every request) needs no second look.
        async with secret_lookup(token_hash):
            rows = await rawsql.select(ApiToken, BEARER_SQL, token_hash)
    row = rows[0] if rows else None
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= now:
        return None
    if str(row["tenant"]) != str(tenant_id):
        await security_event(tenant_id, "foreign_token", "a token of another tenant was presented")
        return None
    user = None if row["id"] is None else {**row, "tenant": row["user_tenant"]}
    signed_in = _signed_in(user, tenant_id, "token")
    if signed_in is not None:
        counters.note_row(row)
    return signed_in
