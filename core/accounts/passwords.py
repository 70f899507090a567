"""Staff accounts with passwords: creating them, and checking a password at sign-in."""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.accounts.schemas import STAFF_ROLES
from core.accounts.service import AccountError, normalize_email, security_event
from core.accounts.tables import User
from core.db import write_transaction
from core.privacy import service as privacy
from core.tenancy.scoped import within_tenant

hasher = PasswordHasher()
_DUMMY_HASH = hasher.hash("doorstep-timing-equaliser")


@within_tenant
async def create_staff(
    tenant_id: Any, email: str, password: str, roles: list[str], name: str = "", kind: str = "staff"
) -> str:
    email = normalize_email(email)
    unknown = [r for r in roles if r not in STAFF_ROLES]
    if unknown:
        raise AccountError("roles", f"unknown role(s): {', '.join(unknown)}")
    if len(password) < 10:
        raise AccountError("password", "use at least 10 characters")
    owner = tenant_id if kind == "staff" else None
    email_idx = privacy.lookup_key(email, purpose="email", tenant_id=owner)
    async with write_transaction():
        exists = await User.exists().where((User.email_idx == email_idx) & _same_owner(owner))
        if exists:
            raise AccountError("email", "already in use")
        user = User(
            tenant=owner,
            kind=kind,
            roles=",".join(roles),
            email_enc=privacy.seal(email, field="user.email", tenant_id=owner),
            email_idx=email_idx,
            password_hash=hasher.hash(password),
            name_enc=privacy.seal(name, field="user.name", tenant_id=owner) if name else None,
        )
        await user.save()
    return str(user.id)


def _same_owner(owner: Any) -> Any:
    return User.tenant.is_null() if owner is None else User.tenant == owner


@within_tenant
async def check_password(tenant_id: Any, raw_email: str, password: str, client: str = "") -> str:
    """Staff sign-in: the tenant's staff, or an agency operator. One answer for every failure."""
    wrong = AccountError("email", "email or password is wrong")
    try:
        email = normalize_email(raw_email)
    except AccountError:
        raise wrong from None
    candidates = []
    for owner in (tenant_id, None):
        idx = privacy.lookup_key(email, purpose="email", tenant_id=owner)
        row = (
            await User.select(User.id, User.password_hash, User.disabled_at, User.deleted_at)
            .where((User.email_idx == idx) & _same_owner(owner))
            .first()
        )
        if row:
            candidates.append(row)
    row = candidates[0] if candidates else None
    try:
        hasher.verify(
            row["password_hash"] if row and row["password_hash"] else _DUMMY_HASH, password
        )
        ok = row is not None and row["disabled_at"] is None and row["deleted_at"] is None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok:
        await security_event(tenant_id, "staff_sign_in_failed", client=client)
        raise wrong
    assert row is not None
    return str(row["id"])
