"""The door trust code (安心码): a short-lived signed code the provider shows at the door.

Scanning it shows the customer a green / yellow / red verdict of the provider's live checks
and whether this is the provider assigned to their booking.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

import segno

from core.privacy import service as privacy
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, within_tenant
from core.verification.eligibility import ProviderChecks, certificate_valid, check_ok, load_checks
from core.verification.service import IDENTITY_CHECKS, POLICE_FILING, local_date

TTL = timedelta(minutes=5)
EXPIRING_SOON = timedelta(days=7)


def _key() -> bytes:
    return hmac.new(privacy.keyring().index_key, b"trust-code", hashlib.sha256).digest()


def issue(tenant_id: str, profile_id: str, booking_id: str, now: datetime) -> str:
    """A code valid for five minutes, binding provider, tenant and (optionally) a booking."""
    expires = int((now + TTL).timestamp())
    payload = f"{tenant_id}|{profile_id}|{booking_id}|{expires}".encode()
    mac = hmac.new(_key(), payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(payload + b"|" + mac).decode().rstrip("=")


@dataclass(frozen=True)
class TrustCode:
    tenant_id: str
    profile_id: str
    booking_id: str


class TrustCodeError(Exception):
    pass


def read(code: str, now: datetime, *, tenant_id: str) -> TrustCode:
    """Verify the signature, the tenant scanning it and the time; raises TrustCodeError
    (forged, altered, another tenant's, expired)."""
    try:
        raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
        # Base64 ignores the unused low bits of the last character: only the one spelling
        # ``issue`` produces is accepted, so no altered character passes.
        if base64.urlsafe_b64encode(raw).decode().rstrip("=") != code:
            raise ValueError
        payload, mac = raw[:-17], raw[-16:]
        if raw[-17:-16] != b"|":
            raise ValueError
        code_tenant, profile_id, booking_id, expires = payload.decode().split("|")
    except (ValueError, UnicodeDecodeError):
        raise TrustCodeError("not a trust code") from None
    if not hmac.compare_digest(mac, hmac.new(_key(), payload, hashlib.sha256).digest()[:16]):
        raise TrustCodeError("not a trust code")
    if not hmac.compare_digest(code_tenant, str(tenant_id)):
        raise TrustCodeError("this code belongs to another platform")
    if now.timestamp() > int(expires):
        raise TrustCodeError("this code has expired: ask the provider to refresh it")
    return TrustCode(code_tenant, profile_id, booking_id)


Colour = Literal["green", "yellow", "red"]


@dataclass(frozen=True)
class Verdict:
    colour: Colour
    reasons: list[str]
    """Codes: ``suspended``, ``check:face_match``, ``certificate_expired:health_certificate``,
    ``certificate_expiring:health_certificate``, ``item_suspended``, ``not_assigned``."""
    assigned: bool | None = None
    """For a code shown from a job: whether this provider is the booking's, under way now
    (None: a code without a booking)."""


def verdict(
    state: ProviderChecks,
    now: datetime,
    assigned: bool | None = None,
    today: date | None = None,
) -> Verdict:
    """Red: not active, an identity check not valid, no item left to do, or not this booking's
    provider. Yellow: an item suspended, a certificate lapsed (and not renewed) or expiring
    within 7 days, an identity check due within 7 days, a police filing lapsed or refused.
    Green: everything valid. ``today`` is the tenant's local date (defaults to ``now``'s)."""
    today = today or now.date()
    red, yellow = [], []
    if state.status != "active":
        red.append(f"status:{state.status}")
    for kind in IDENTITY_CHECKS:
        if not check_ok(state.checks.get(kind), now):
            red.append(f"check:{kind}")
        elif (
            until := state.checks[kind]["valid_until"]
        ) is not None and until - now < EXPIRING_SOON:
            yellow.append(f"check_expiring:{kind}")
    filing = state.checks.get(POLICE_FILING)
    if filing is not None and filing["status"] != "pending" and not check_ok(filing, now):
        yellow.append(f"check:{POLICE_FILING}")
    yellow += _certificate_reasons(state.certificates, today)
    skills = list(state.skills.values())
    if skills and all(s["suspended"] for s in skills):
        red.append("all_items_suspended")
    elif any(s["suspended"] for s in skills):
        yellow.append("item_suspended")
    if assigned is False:
        red.append("not_assigned")
    if red:
        return Verdict("red", red + yellow, assigned)
    return Verdict("yellow" if yellow else "green", yellow, assigned)


async def provider_verdict(
    tenant: Tenant,
    tenant_id: Any,
    profile_id: str,
    now: datetime,
    booking_id: str = "",
) -> Verdict:
    """The verdict a customer sees when scanning this provider's code at ``now``: the live
    checks and, for a code shown from a job, whether the booking is this provider's now."""
    state = await load_checks(tenant_id, profile_id)
    assigned = await is_assigned(tenant_id, booking_id, profile_id) if booking_id else None
    return verdict(state, now, assigned, today=local_date(tenant, now))


@within_tenant
async def is_assigned(tenant_id: Any, booking_id: str, profile_id: str) -> bool:
    """Whether ``booking_id`` is one of this tenant's bookings, assigned to this provider and
    under way (accepted, on the way, arrived or in progress): a booking reassigned since, a
    cancelled or finished one, or another tenant's, is not."""
    from core.booking.states import ACTIVE_STATES
    from core.booking.tables import Booking

    try:
        wanted = uuid.UUID(booking_id)
    except ValueError:
        return False
    found = (
        await scoped(Booking, tenant_id)
        .select(Booking.provider, Booking.status)
        .where(Booking.id == wanted)
        .first()
    )
    return (
        found is not None
        and str(found["provider"]) == str(profile_id)
        and found["status"] in ACTIVE_STATES
    )


def _certificate_reasons(certs: list[dict[str, Any]], today: date) -> list[str]:
    """Per kind: lapsed when no approved certificate of it is valid today, though one was
    (expired, or past its date before the worker marked it); expiring when the longest-valid
    one ends within 7 days. A renewed certificate clears both."""
    reasons = []
    for kind in sorted({c["kind"] for c in certs}):
        mine = [c for c in certs if c["kind"] == kind]
        valid = [c for c in mine if certificate_valid([c], kind, today)]
        if not valid:
            if any(c["status"] in {"approved", "expired"} for c in mine):
                reasons.append(f"certificate_expired:{kind}")
            continue
        ends = [c["valid_until"] for c in valid]
        if None not in ends and (max(ends) - today).days <= EXPIRING_SOON.days:
            reasons.append(f"certificate_expiring:{kind}")
    return reasons


def qr_svg(url: str) -> str:
    """The code as an inline SVG QR image (no image files, no network)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False, svgns=True)
    return out.getvalue().decode()
