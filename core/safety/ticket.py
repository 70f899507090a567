"""The SOS ticket: a signed token every page of an active job carries for its SOS button.

It stands in for both the session and the CSRF token on ``POST /safety/sos``, so a page that
went stale (session expired, CSRF cookie renewed, the job's state moved on) still raises its
SOS. It proves the page was served to this user on this tenant (a cross-site page cannot read
it), and is valid for ``TTL``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.privacy import service as privacy

TTL = timedelta(days=7)


@dataclass(frozen=True)
class Ticket:
    user_id: str
    kind: str
    """The account's kind when the page was served (``customer`` or ``provider``)."""
    booking_id: str


def _sign(payload: str) -> str:
    key = hmac.new(privacy.keyring().index_key, b"sos-ticket", hashlib.sha256).digest()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:32]


def issue(tenant_slug: str, ticket: Ticket, now: datetime) -> str:
    payload = "|".join(
        [tenant_slug, ticket.user_id, ticket.kind, ticket.booking_id, str(int(now.timestamp()))]
    )
    body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"{body}.{_sign(payload)}"


def for_page(tenant_slug: str, user: Any, booking_id: Any = "") -> str:
    """The ticket a page embeds for its signed-in user (empty for nobody or staff)."""
    if user is None or getattr(user, "kind", "") not in {"customer", "provider"}:
        return ""
    ticket = Ticket(user_id=str(user.id), kind=user.kind, booking_id=str(booking_id or ""))
    return issue(tenant_slug, ticket, datetime.now(UTC))


def read(tenant_slug: str, token: str, now: datetime) -> Ticket | None:
    """The ticket if it is genuine, of this tenant and not too old; None otherwise."""
    body, _, signature = token.strip().partition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    if not hmac.compare_digest(_sign(payload), signature):
        return None
    parts = payload.split("|")
    if len(parts) != 5 or parts[0] != tenant_slug or not parts[4].isdigit():
        return None
    issued = datetime.fromtimestamp(int(parts[4]), tz=UTC)
    if not (now - TTL <= issued <= now + timedelta(minutes=5)):
        return None
    return Ticket(user_id=parts[1], kind=parts[2], booking_id=parts[3])
