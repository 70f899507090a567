"""Accounts tables. Personal values are stored encrypted (``*_enc``) with blind indexes
(``*_idx``) for lookups; see ``core.privacy``."""

from __future__ import annotations

import uuid

from piccolo.columns import UUID, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.privacy.service import register_sealed
from core.tenancy.tables import TenantRow


class User(Table, tablename="accounts_user"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=True, default=None, index=True)
    """None for agency operators, who work across tenants."""
    kind = Varchar(length=16)
    """``customer``, ``provider``, ``staff`` or ``operator``."""
    roles = Varchar(length=200, default="")
    """Staff roles, comma-separated (admin, dispatcher, support, safety_officer,
    quality_inspector)."""
    phone_enc = Text(null=True, default=None)
    phone_idx = Varchar(length=40, null=True, default=None, index=True)
    email_enc = Text(null=True, default=None)
    email_idx = Varchar(length=40, null=True, default=None, index=True)
    name_enc = Text(null=True, default=None)
    password_hash = Text(null=True, default=None)
    locale = Varchar(length=10, default="")
    consent_version = Varchar(length=20, default="")
    consent_at = Timestamptz(null=True, default=None)
    disabled_at = Timestamptz(null=True, default=None)
    deleted_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Session(Table, tablename="accounts_session"):
    """A signed-in browser. The cookie holds a random token; only its hash is stored."""

    id = Varchar(length=64, primary_key=True)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    user = ForeignKey(references=User, null=False, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)


class ApiToken(Table, tablename="accounts_api_token"):
    """A bearer token for an agency's mobile app, bound to one tenant and one user."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    token_hash = Varchar(length=64, unique=True)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    user = ForeignKey(references=User, null=False, index=True)
    label = Varchar(length=80, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class OneTimeCode(Table, tablename="accounts_otp"):
    """An SMS sign-in code: hashed, short-lived, single use, five tries."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    phone_idx = Varchar(length=40, index=True)
    client_idx = Varchar(length=40, index=True)
    code_hash = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    expires_at = Timestamptz()
    attempts = Integer(default=0)
    used_at = Timestamptz(null=True, default=None)


class Address(Table, tablename="accounts_address"):
    """A saved address (家, 公司...). The full text and the point are encrypted; the district
    is kept clear because it is what others may see."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    user = ForeignKey(references=User, null=False, index=True)
    label = Varchar(length=20)
    text_enc = Text()
    point_enc = Text(null=True, default=None)
    district = Varchar(length=60, default="")
    is_default = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class SecurityEvent(Table, tablename="accounts_security_event"):
    """Rejected attempts (wrong codes, foreign tokens, missing CSRF). No personal data."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=True, default=None, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    kind = Varchar(length=40)
    detail = Varchar(length=200, default="")
    client_idx = Varchar(length=40, default="")


# Every encrypted column of this domain, so ``doorstep keys rotate`` re-encrypts it.
register_sealed(User, "phone_enc", "user.phone")
register_sealed(User, "email_enc", "user.email")
register_sealed(User, "name_enc", "user.name")
register_sealed(Address, "text_enc", "address.text")
register_sealed(Address, "point_enc", "address.point")
