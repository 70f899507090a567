"""The booking's thread: the chat between customer, provider and support, kept as the dispute
record. People are shown by their role, never by name, and phone numbers written into a message
are masked before it is stored, so the thread cannot be used to swap contact details."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.booking.service import Actor, load, role_in
from core.booking.states import CUSTOMER, PROVIDER, STAFF, SYSTEM
from core.db import write_transaction
from core.privacy import service as privacy
from core.quality.rules import QualityError
from core.quality.tables import BookingMessage
from core.tenancy.scoped import within_tenant

PHONE = re.compile(r"(?<!\d)(\+?86[ -]?)?(1\d{2})[ -]?(\d{4})[ -]?(\d{4})(?!\d)")
MAX_LENGTH = 2000
KINDS_BY_ROLE = {
    CUSTOMER: frozenset({"chat"}),
    PROVIDER: frozenset({"chat", "statement"}),
    STAFF: frozenset({"chat", "note", "reply"}),
    SYSTEM: frozenset({"event"}),
}
STAFF_ONLY = frozenset({"note"})


def mask_contacts(text: str) -> str:
    """Mobile numbers become ``138****1234``: a thread is no way to exchange contacts."""
    return PHONE.sub(lambda m: f"{m.group(2)}****{m.group(4)}", text)


@dataclass(frozen=True)
class Message:
    id: str
    author_role: str
    kind: str
    body: str
    at: datetime
    mine: bool


def clean_body(text: str, field: str = "body") -> str:
    body = text.strip()
    if not body:
        raise QualityError(field, "write a message")
    if len(body) > MAX_LENGTH:
        raise QualityError(field, "at most 2000 characters")
    return mask_contacts(body)


async def add_message(
    tenant_id: str,
    booking_id: str,
    author: Actor,
    body: str,
    *,
    kind: str = "chat",
    complaint_id: str | None = None,
    now: datetime,
) -> str:
    """Inside the caller's write transaction: one message of the thread (already checked)."""
    message = BookingMessage(
        tenant=tenant_id,
        booking=booking_id,
        complaint=complaint_id,
        author=author.user_id,
        author_role=author.role,
        kind=kind,
        body_enc=privacy.seal(body, field="message.body", tenant_id=tenant_id),
        created_at=now,
    )
    await BookingMessage.insert(message)
    return str(message.id)


@within_tenant
async def post_message(
    tenant_id: str,
    booking_id: str,
    actor: Actor,
    text: str,
    *,
    kind: str = "chat",
    now: datetime | None = None,
) -> str:
    """A message by the booking's customer, its provider or staff. A stranger: LookupError."""
    now = now or datetime.now(UTC)
    body = clean_body(text)
    async with write_transaction():
        booking = await load(tenant_id, booking_id)
        role = role_in(booking, actor)
        if kind not in KINDS_BY_ROLE.get(role, frozenset()):
            raise QualityError("kind", f"a {role} cannot write a {kind} here", 403)
        from core.quality.tables import Complaint

        complaint = (
            await Complaint.select(Complaint.id)
            .where((Complaint.tenant == tenant_id) & (Complaint.booking == booking_id))
            .first()
        )
        return await add_message(
            tenant_id,
            booking_id,
            actor,
            body,
            kind=kind,
            complaint_id=str(complaint["id"]) if complaint else None,
            now=now,
        )


@within_tenant
async def thread_of(
    tenant_id: str, booking_id: str, viewer: Actor, *, limit: int = 200
) -> list[Message]:
    """The thread as ``viewer`` may see it (staff notes only for staff), oldest first."""
    booking = await load(tenant_id, booking_id)
    role = role_in(booking, viewer)
    query = BookingMessage.select().where(
        (BookingMessage.tenant == tenant_id) & (BookingMessage.booking == booking_id)
    )
    if role != STAFF:
        query = query.where(BookingMessage.kind.not_in(list(STAFF_ONLY)))
    rows: list[dict[str, Any]] = list(await query.order_by(BookingMessage.created_at).limit(limit))
    return [
        Message(
            id=str(row["id"]),
            author_role=row["author_role"],
            kind=row["kind"],
            body=privacy.unseal(row["body_enc"], field="message.body", tenant_id=tenant_id),
            at=row["created_at"],
            mine=row["author"] is not None and str(row["author"]) == viewer.user_id,
        )
        for row in rows
    ]
