"""The door trust code (安心码): a short-lived signed code the provider shows at the door.

Scanning it shows the customer a green / yellow / red verdict of the provider's live checks
and whether this is the provider assigned to their booking.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import segno

from core.privacy import service as privacy
from core.verification.service import IDENTITY_CHECKS, ProviderChecks, _check_ok

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


def read(code: str, now: datetime) -> TrustCode:
    """Verify the signature and the time; raises TrustCodeError (forged, altered, expired)."""
    try:
        raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
        payload, mac = raw[:-17], raw[-16:]
        if raw[-17:-16] != b"|":
            raise ValueError
        tenant_id, profile_id, booking_id, expires = payload.decode().split("|")
    except (ValueError, UnicodeDecodeError):
        raise TrustCodeError("not a trust code") from None
    if not hmac.compare_digest(mac, hmac.new(_key(), payload, hashlib.sha256).digest()[:16]):
        raise TrustCodeError("not a trust code")
    if now.timestamp() > int(expires):
        raise TrustCodeError("this code has expired: ask the provider to refresh it")
    return TrustCode(tenant_id, profile_id, booking_id)


Colour = Literal["green", "yellow", "red"]


@dataclass(frozen=True)
class Verdict:
    colour: Colour
    reasons: list[str]
    """Codes: ``suspended``, ``check:face_match``, ``certificate_expired:health_certificate``,
    ``certificate_expiring:health_certificate``, ``item_suspended``, ``not_assigned``."""


def verdict(state: ProviderChecks, now: datetime, assigned: bool | None = None) -> Verdict:
    """Red: not active, an identity check not valid, or no item left to do. Yellow: an item
    suspended (a lapsed certificate), something expiring within 7 days, or not this booking's
    provider. Green: everything valid."""
    red, yellow = [], []
    if state.status != "active":
        red.append(f"status:{state.status}")
    for kind in IDENTITY_CHECKS:
        if not _check_ok(state.checks.get(kind), now):
            red.append(f"check:{kind}")
        elif (
            until := state.checks[kind]["valid_until"]
        ) is not None and until - now < EXPIRING_SOON:
            yellow.append(f"check_expiring:{kind}")
    for cert in state.certificates:
        if cert["status"] == "expired":
            yellow.append(f"certificate_expired:{cert['kind']}")
        elif (
            cert["status"] == "approved"
            and cert["valid_until"] is not None
            and (cert["valid_until"] - now.date()).days < EXPIRING_SOON.days
        ):
            yellow.append(f"certificate_expiring:{cert['kind']}")
    skills = list(state.skills.values())
    if skills and all(s["suspended"] for s in skills):
        red.append("all_items_suspended")
    elif any(s["suspended"] for s in skills):
        yellow.append("item_suspended")
    if assigned is False:
        red.append("not_assigned")
    if red:
        return Verdict("red", red + yellow)
    return Verdict("yellow" if yellow else "green", yellow)


def qr_svg(url: str) -> str:
    """The code as an inline SVG QR image (no image files, no network)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False, svgns=True)
    return out.getvalue().decode()
