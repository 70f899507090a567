"""Account administration: disabling and enabling accounts, recording consent, staff roles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.accounts.schemas import STAFF_ROLES
from core.accounts.service import AccountError, now_utc
from core.accounts.tables import ApiToken, Session, User
from core.db import write_transaction
from core.tenancy.scoped import within_tenant

CONSENT_VERSION = "2026-11"


async def disable_user(user_id: str, now: datetime | None = None) -> None:
    """Disable an account and end every session and token it has, at once."""
    now = now or now_utc()
    async with write_transaction():
        await User.update({User.disabled_at: now}).where(User.id == user_id)
        await Session.update({Session.ended_at: now}).where(
            (Session.user == user_id) & Session.ended_at.is_null()
        )
        await ApiToken.update({ApiToken.revoked_at: now}).where(
            (ApiToken.user == user_id) & ApiToken.revoked_at.is_null()
        )


async def enable_user(user_id: str) -> None:
    async with write_transaction():
        await User.update({User.disabled_at: None}).where(User.id == user_id)


async def record_consent(user_id: str, now: datetime | None = None) -> None:
    async with write_transaction():
        await User.update(
            {User.consent_version: CONSENT_VERSION, User.consent_at: now or now_utc()}
        ).where(User.id == user_id)


@within_tenant
async def set_roles(user_id: str, tenant_id: Any, roles: list[str]) -> None:
    unknown = [r for r in roles if r not in STAFF_ROLES]
    if unknown:
        raise AccountError("roles", f"unknown role(s): {', '.join(unknown)}")
    async with write_transaction():
        await User.update({User.roles: ",".join(roles)}).where(
            (User.id == user_id) & (User.tenant == tenant_id) & (User.kind == "staff")
        )
