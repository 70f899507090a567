"""What the account modules share: errors, the clock, phone and email normalisation, the
security-event record, new ids. One-time codes are in otp.py, staff passwords in passwords.py,
sessions and tokens in signin.py, account administration in users.py."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import phonenumbers

from core.accounts.tables import SecurityEvent
from core.privacy import service as privacy
from core.tenancy.scoped import within_tenant

log = logging.getLogger("doorstep.accounts")


class AccountError(Exception):
    """A user's mistake; ``field`` names what to fix."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class RateLimited(AccountError):
    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__("phone", f"too many codes; try again in {retry_after_s} s")


def now_utc() -> datetime:
    return datetime.now(UTC)


def normalize_phone(raw: str, region: str = "CN") -> str:
    """A mobile number in E.164 (``+8613812345678``); +86 is assumed without a country code."""
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        raise AccountError("phone", "not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise AccountError("phone", "not a valid mobile number")
    if phonenumbers.number_type(number) not in {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }:
        raise AccountError("phone", "use a mobile number that can receive SMS")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    email = raw.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 254 or " " in email:
        raise AccountError("email", "not an email address")
    return email


@within_tenant
async def security_event(tenant_id: Any, kind: str, detail: str = "", client: str = "") -> None:
    """Record a rejected attempt (no personal data: the client is a keyed hash)."""
    client_idx = privacy.lookup_key(client, purpose="client", tenant_id=tenant_id) if client else ""
    await SecurityEvent.insert(
        SecurityEvent(tenant=tenant_id, kind=kind[:40], detail=detail[:200], client_idx=client_idx)
    )
    log.warning("security event %s on tenant %s: %s", kind, tenant_id, detail)


def new_id() -> str:
    return str(uuid.uuid4())
