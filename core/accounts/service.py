"""Account rules: mobile numbers and one-time codes, staff passwords, sessions, API tokens,
disabling, data export and deletion. Pages, API and CLI call these."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import phonenumbers
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core import rawsql
from core.accounts.schemas import STAFF_ROLES, CurrentUser
from core.accounts.tables import ApiToken, OneTimeCode, SecurityEvent, Session, User
from core.db import write_transaction
from core.privacy import service as privacy
from core.tenancy.scoped import secret_lookup, within_tenant

log = logging.getLogger("doorstep.accounts")
hasher = PasswordHasher()

CODE_TTL = timedelta(minutes=10)
CODE_MAX_TRIES = 5
RESEND_GAP = timedelta(seconds=60)
CODES_PER_NUMBER_PER_HOUR = 5
CODES_PER_CLIENT_PER_HOUR = 20
SESSION_TTL = timedelta(days=30)
TOKEN_TTL = timedelta(days=90)
CONSENT_VERSION = "2026-11"
_DUMMY_HASH = hasher.hash("doorstep-timing-equaliser")


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


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@within_tenant
async def security_event(tenant_id: Any, kind: str, detail: str = "", client: str = "") -> None:
    """Record a rejected attempt (no personal data: the client is a keyed hash)."""
    client_idx = privacy.lookup_key(client, purpose="client", tenant_id=tenant_id) if client else ""
    await SecurityEvent.insert(
        SecurityEvent(tenant=tenant_id, kind=kind[:40], detail=detail[:200], client_idx=client_idx)
    )
    log.warning("security event %s on tenant %s: %s", kind, tenant_id, detail)


# --- one-time codes --------------------------------------------------------------------------


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


# --- staff passwords ---------------------------------------------------------------------------


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


# --- sessions and tokens -----------------------------------------------------------------------


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
    "SELECT t.tenant AS tenant, t.expires_at AS expires_at, t.revoked_at AS revoked_at, "
    "u.id AS id, u.tenant AS user_tenant, u.kind AS kind, u.roles AS roles, "
    "u.disabled_at AS disabled_at, u.deleted_at AS deleted_at "
    'FROM accounts_api_token t LEFT JOIN accounts_user u ON u.id = t."user" '
    "WHERE t.token_hash = {} LIMIT 1"
)
"""A token and its user in one statement (every API request runs it). On PostgreSQL the
user's row is joined only if row security shows it (this tenant's, or no tenant's)."""


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
    return _signed_in(user, tenant_id, "token")


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


def new_id() -> str:
    return str(uuid.uuid4())
