"""Certificates and checks. Numbers are encrypted; the kit stores vendors' results, never
face images."""

from __future__ import annotations

import uuid

from piccolo.columns import UUID, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.privacy.service import register_sealed
from core.providers.tables import ProviderMedia, ProviderProfile
from core.tenancy.tables import TenantRow


class Certificate(Table, tablename="verification_certificate"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    provider = ForeignKey(references=ProviderProfile, null=False, index=True)
    kind = Varchar(length=40)
    """A code from ``core.verification.certificates.CERTIFICATE_TYPES``."""
    number_enc = Text()
    issuer = Varchar(length=120)
    valid_from = Date()
    valid_until = Date(null=True, default=None)
    image = ForeignKey(references=ProviderMedia, null=True, default=None)
    status = Varchar(length=16, default="pending", index=True)
    """pending (awaiting review), approved, rejected, expired."""
    reason = Varchar(length=300, default="")
    reviewed_by = UUID(null=True, default=None)
    reviewed_at = Timestamptz(null=True, default=None)
    reminders_sent = Varchar(length=40, default="")
    """Days-before-expiry reminders already sent, e.g. ``30,7``."""
    created_at = Timestamptz(default=TimestamptzNow())


class IdentityCheck(Table, tablename="verification_check"):
    """One check of a provider: id_number, real_name, face_match, phone, address,
    police_filing, training."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    provider = ForeignKey(references=ProviderProfile, null=False, index=True)
    kind = Varchar(length=40, index=True)
    status = Varchar(length=16, default="pending", index=True)
    """pending, passed, failed, expired."""
    verifier = Varchar(length=40, default="")
    vendor_ref = Varchar(length=120, default="")
    reason = Varchar(length=300, default="")
    attempts = Integer(default=0)
    started_at = Timestamptz(default=TimestamptzNow())
    checked_at = Timestamptz(null=True, default=None)
    valid_until = Timestamptz(null=True, default=None)
    """When the check must be repeated (the tenant's re-verification period)."""


class PoliceFiling(Table, tablename="verification_police_filing"):
    """A locksmith's police filing (公安备案): its own record beside the check."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    provider = ForeignKey(references=ProviderProfile, null=False, unique=True)
    filing_number_enc = Text()
    bureau = Varchar(length=120)
    filed_on = Date()
    created_at = Timestamptz(default=TimestamptzNow())


class IdentityRecord(Table, tablename="verification_identity"):
    """The provider's ID card: number encrypted; birth date and region derived and kept."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    provider = ForeignKey(references=ProviderProfile, null=False, unique=True)
    number_enc = Text()
    number_idx = Varchar(length=40, index=True)
    """Blind index: the same ID card cannot back two providers of a tenant."""
    real_name_enc = Text()
    address_enc = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class TrainingResult(Table, tablename="verification_training"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    provider = ForeignKey(references=ProviderProfile, null=False, index=True)
    course = Varchar(length=80)
    score = Integer()
    passed_at = Timestamptz(null=True, default=None)
    taken_at = Timestamptz(default=TimestamptzNow())


# Every encrypted column of this domain, so ``doorstep keys rotate`` re-encrypts it.
register_sealed(Certificate, "number_enc", "certificate.number")
register_sealed(PoliceFiling, "filing_number_enc", "police_filing.number")
register_sealed(IdentityRecord, "number_enc", "identity.number")
register_sealed(IdentityRecord, "real_name_enc", "identity.real_name")
register_sealed(IdentityRecord, "address_enc", "identity.address")
