"""The tenant admin's view of accounts: masked lists, roles, disabling, the audit trail.

Everything is scoped to one tenant: another tenant's account id is ``NotFound``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.accounts import service, users
from core.accounts.profile import NotFound, parse_id
from core.accounts.schemas import STAFF_ROLES, CurrentUser
from core.accounts.service import AccountError, security_event
from core.accounts.tables import SecurityEvent, User
from core.privacy import service as privacy
from core.privacy.masking import mask_email, mask_name, mask_phone
from core.privacy.tables import PersonalDataRead
from core.tenancy.scoped import within_tenant

PAGE_SIZE = 50


@dataclass(frozen=True)
class Account:
    """One row of the admin's user list. Personal values are masked."""

    id: str
    kind: str
    roles: tuple[str, ...]
    phone: str
    email: str
    name: str
    status: str
    """``active``, ``disabled`` or ``deleted``."""
    created_at: datetime


def _masked(row: dict[str, Any], column: str, field: str) -> str:
    value = row[column]
    return privacy.unseal(value, field=field, tenant_id=row["tenant"]) if value else ""


def _status(row: dict[str, Any]) -> str:
    if row["deleted_at"] is not None:
        return "deleted"
    return "disabled" if row["disabled_at"] is not None else "active"


@within_tenant
async def list_accounts(tenant_id: Any, page: int = 1) -> tuple[list[Account], bool]:
    """A page of the tenant's accounts, staff first, then newest. Returns (rows, more)."""
    page = max(1, page)
    rows = (
        await User.select()
        .where(User.tenant == tenant_id)
        .order_by(User.kind, User.created_at, ascending=False)
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    )
    accounts = []
    for row in rows[:PAGE_SIZE]:
        phone = _masked(row, "phone_enc", "user.phone")
        email = _masked(row, "email_enc", "user.email")
        accounts.append(
            Account(
                id=str(row["id"]),
                kind=row["kind"],
                roles=tuple(r for r in row["roles"].split(",") if r),
                phone=mask_phone(phone) if phone else "",
                email=mask_email(email) if email else "",
                name=mask_name(_masked(row, "name_enc", "user.name")),
                status=_status(row),
                created_at=row["created_at"],
            )
        )
    return accounts, len(rows) > PAGE_SIZE


async def _account_row(tenant_id: Any, user_id: str) -> dict[str, Any]:
    row = (
        await User.select(User.id, User.kind, User.roles, User.deleted_at)
        .where((User.id == parse_id(user_id)) & (User.tenant == tenant_id))
        .first()
    )
    if row is None:
        raise NotFound()
    return row


@within_tenant
async def change_roles(actor: CurrentUser, tenant_id: Any, user_id: str, roles: list[str]) -> None:
    """Give a staff account exactly ``roles``. Admins cannot take admin away from themselves
    (a tenant must never lose its last way in)."""
    row = await _account_row(tenant_id, user_id)
    wanted = [r for r in STAFF_ROLES if r in set(roles)]
    unknown = sorted(set(roles) - set(STAFF_ROLES))
    if unknown:
        raise AccountError("roles", f"unknown role(s): {', '.join(unknown)}")
    if row["kind"] != "staff":
        raise AccountError("roles", "only staff accounts have roles")
    if str(row["id"]) == actor.id and "admin" not in wanted:
        raise AccountError("roles", "you cannot remove your own admin role")
    await users.set_roles(str(row["id"]), tenant_id, wanted)
    await security_event(
        tenant_id, "roles_changed", f"user {row['id']}: {','.join(wanted) or '-'} by {actor.id}"
    )


@within_tenant
async def disable(actor: CurrentUser, tenant_id: Any, user_id: str) -> None:
    """Disable an account of this tenant; all its sessions and tokens end at once."""
    row = await _account_row(tenant_id, user_id)
    if str(row["id"]) == actor.id:
        raise AccountError("account", "you cannot disable your own account")
    await users.disable_user(str(row["id"]))
    await security_event(tenant_id, "user_disabled", f"user {row['id']} by {actor.id}")


@within_tenant
async def enable(actor: CurrentUser, tenant_id: Any, user_id: str) -> None:
    row = await _account_row(tenant_id, user_id)
    if row["deleted_at"] is not None:
        raise AccountError("account", "a deleted account cannot be enabled")
    await users.enable_user(str(row["id"]))
    await security_event(tenant_id, "user_enabled", f"user {row['id']} by {actor.id}")


@dataclass(frozen=True)
class Read:
    at: datetime
    actor_id: str
    actor_role: str
    subject_id: str
    field: str
    purpose: str


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str
    detail: str


@within_tenant
async def audit_trail(tenant_id: Any, limit: int = 100) -> tuple[list[Read], list[Event]]:
    """The latest reads of clear personal values and the latest security events."""
    reads = (
        await PersonalDataRead.select()
        .where(PersonalDataRead.tenant == tenant_id)
        .order_by(PersonalDataRead.at, ascending=False)
        .limit(limit)
    )
    events = (
        await SecurityEvent.select(SecurityEvent.at, SecurityEvent.kind, SecurityEvent.detail)
        .where(SecurityEvent.tenant == tenant_id)
        .order_by(SecurityEvent.at, ascending=False)
        .limit(limit)
    )
    return (
        [
            Read(
                at=r["at"],
                actor_id=str(r["actor_id"] or ""),
                actor_role=r["actor_role"],
                subject_id=str(r["subject_id"] or ""),
                field=r["field"],
                purpose=r["purpose"],
            )
            for r in reads
        ],
        [Event(at=e["at"], kind=e["kind"], detail=e["detail"]) for e in events],
    )


@within_tenant
async def find_account(tenant_id: Any, who: str) -> str:
    """The account named by an id, a mobile number or a staff email, on this tenant (an agency
    operator's email too). Raises NotFound, or AccountError for a malformed number."""
    who = who.strip()
    owner = (User.tenant == tenant_id) | User.tenant.is_null()
    if "@" in who:
        email = service.normalize_email(who)
        for scope in (tenant_id, None):
            idx = privacy.lookup_key(email, purpose="email", tenant_id=scope)
            same = User.tenant == scope if scope else User.tenant.is_null()
            found = await User.select(User.id).where((User.email_idx == idx) & same).first()
            if found:
                return str(found["id"])
        raise NotFound()
    try:
        user_id = parse_id(who)
    except NotFound:
        phone = service.normalize_phone(who)
        idx = privacy.lookup_key(phone, purpose="phone", tenant_id=tenant_id)
        found = (
            await User.select(User.id)
            .where((User.tenant == tenant_id) & (User.phone_idx == idx))
            .first()
        )
    else:
        found = await User.select(User.id).where((User.id == user_id) & owner).first()
    if found is None:
        raise NotFound()
    return str(found["id"])


@within_tenant
async def is_active(tenant_id: Any, user_id: str) -> bool:
    """Neither disabled nor deleted (an operator's account counts on every tenant)."""
    row = (
        await User.select(User.disabled_at, User.deleted_at)
        .where(
            (User.id == parse_id(user_id)) & ((User.tenant == tenant_id) | User.tenant.is_null())
        )
        .first()
    )
    return row is not None and row["disabled_at"] is None and row["deleted_at"] is None
