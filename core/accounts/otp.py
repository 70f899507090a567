"""One-time sign-in codes for mobile numbers: issuing them (rate-limited) and redeeming them."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.accounts.service import (
    AccountError,
    RateLimited,
    normalize_phone,
    now_utc,
    security_event,
)
from core.accounts.tables import OneTimeCode, User
from core.db import write_transaction
from core.privacy import service as privacy
from core.tenancy.scoped import within_tenant

CODE_TTL = timedelta(minutes=10)
CODE_MAX_TRIES = 5
RESEND_GAP = timedelta(seconds=60)
CODES_PER_NUMBER_PER_HOUR = 5
CODES_PER_CLIENT_PER_HOUR = 20


@dataclass(frozen=True)
class IssuedCode:
    phone: str
    code: str
    expires_at: datetime


@within_tenant
async def issue_code(
    tenant_id: Any, raw_phone: str, client: str, now: datetime | None = None
) -> IssuedCode:
    """Create a sign-in code for a number (known or not: same answer either way).

    Raises AccountError for a malformed number and RateLimited when asked too often. The caller
    sends ``code`` through the tenant's notification channel and never shows it.
    """
    now = now or now_utc()
    phone = normalize_phone(raw_phone)
    phone_idx = privacy.lookup_key(phone, purpose="phone", tenant_id=tenant_id)
    client_idx = privacy.lookup_key(client, purpose="client", tenant_id=tenant_id)
    hour_ago = now - timedelta(hours=1)
    async with write_transaction():
        recent = await OneTimeCode.select(OneTimeCode.created_at).where(
            (OneTimeCode.tenant == tenant_id)
            & (OneTimeCode.phone_idx == phone_idx)
            & (OneTimeCode.created_at > hour_ago)
        )
        by_client = await OneTimeCode.select(OneTimeCode.created_at).where(
            (OneTimeCode.tenant == tenant_id)
            & (OneTimeCode.client_idx == client_idx)
            & (OneTimeCode.created_at > hour_ago)
        )
        latest = max((r["created_at"] for r in recent), default=None)
        if latest is not None and now - latest < RESEND_GAP:
            raise RateLimited(int((RESEND_GAP - (now - latest)).total_seconds()) + 1)
        full = [
            min(r["created_at"] for r in rows) + timedelta(hours=1)
            for rows, limit in (
                (recent, CODES_PER_NUMBER_PER_HOUR),
                (by_client, CODES_PER_CLIENT_PER_HOUR),
            )
            if len(rows) >= limit
        ]
        over_limit = bool(full)
        if not over_limit:
            code = f"{secrets.randbelow(1_000_000):06d}"
            row = OneTimeCode(
                tenant=tenant_id,
                phone_idx=phone_idx,
                client_idx=client_idx,
                code_hash=privacy.lookup_key(code, purpose=f"otp:{phone_idx}", tenant_id=tenant_id),
                created_at=now,
                expires_at=now + CODE_TTL,
            )
            await row.save()
    if over_limit:
        # recorded after the transaction, which wrote nothing else
        await security_event(tenant_id, "otp_rate_limited", client=client)
        raise RateLimited(max(60, int((max(full) - now).total_seconds())))
    return IssuedCode(phone=phone, code=code, expires_at=now + CODE_TTL)


@within_tenant
async def redeem_code(
    tenant_id: Any, raw_phone: str, code: str, client: str = "", now: datetime | None = None
) -> str:
    """Check a code and return the account's user id, creating a customer on first sign-in.

    Wrong, expired, used and exhausted codes all give the same AccountError on ``code``.
    """
    now = now or now_utc()
    phone = normalize_phone(raw_phone)
    phone_idx = privacy.lookup_key(phone, purpose="phone", tenant_id=tenant_id)
    wrong = AccountError("code", "the code is wrong or has expired; ask for a new one")
    code = code.strip()
    async with write_transaction():
        row = (
            await OneTimeCode.objects()
            .where(
                (OneTimeCode.tenant == tenant_id)
                & (OneTimeCode.phone_idx == phone_idx)
                & OneTimeCode.used_at.is_null()
            )
            .order_by(OneTimeCode.created_at, ascending=False)
            .first()
        )
        if row is None or row.expires_at <= now or row.attempts >= CODE_MAX_TRIES:
            wrong_kind = "otp_missing_or_expired"
            ok = False
        else:
            expected = privacy.lookup_key(code, purpose=f"otp:{phone_idx}", tenant_id=tenant_id)
            ok = len(code) == 6 and code.isdigit() and hmac.compare_digest(expected, row.code_hash)
            if ok:
                await OneTimeCode.update({OneTimeCode.used_at: now}).where(OneTimeCode.id == row.id)
            else:
                tries = row.attempts + 1
                await OneTimeCode.update({OneTimeCode.attempts: tries}).where(
                    OneTimeCode.id == row.id
                )
                wrong_kind = "otp_locked" if tries >= CODE_MAX_TRIES else "otp_wrong"
        if ok:
            user = (
                await User.select(User.id, User.disabled_at, User.deleted_at)
                .where((User.tenant == tenant_id) & (User.phone_idx == phone_idx))
                .first()
            )
            if user is None:
                created = User(
                    tenant=tenant_id,
                    kind="customer",
                    phone_enc=privacy.seal(phone, field="user.phone", tenant_id=tenant_id),
                    phone_idx=phone_idx,
                )
                await created.save()
                return str(created.id)
    if not ok:
        await security_event(tenant_id, wrong_kind, client=client)
        raise wrong
    assert user is not None
    if user["disabled_at"] is not None:
        raise AccountError("phone", "this account is disabled; contact customer service")
    return str(user["id"])
