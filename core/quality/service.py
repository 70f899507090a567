"""Complaints: filed from the booking page (with photos), from the booking's chat, or logged by
support for a hotline call; answered and resolved against the tenant's deadlines per category;
accepted or reopened by the customer.

One complaint per booking: a second is refused (the customer reopens the first). Outcomes go
through their own domains: a re-service is a free booking made by ``create_booking`` (the one
booking write path), money through ``remedies`` (payments and the ledger), a penalty through
the ladder."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import anyio.to_thread

from core.booking.service import Actor, load, role_in
from core.booking.states import CUSTOMER, PROVIDER, STAFF, SYSTEM
from core.db import is_unique_or_exclusion_violation, write_transaction
from core.notifications.outbox import enqueue
from core.privacy import service as privacy
from core.providers.media import MediaError, PreparedMedia, Upload, prepare
from core.providers.storage import MediaStore
from core.quality.rules import CATEGORIES, CHANNELS, OPEN_STATES, QualityError, deadlines
from core.quality.tables import Complaint, ComplaintEvidence
from core.quality.thread import add_message, clean_body
from core.safety.trail import hold_trail
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, within_tenant

COMPLAINABLE = frozenset(
    {"accepted", "en_route", "arrived", "in_progress", "completed", "closed", "no_show"}
)
"""A booking someone came (or should have come) for."""
COMPLAINT_WINDOW = timedelta(days=30)
"""How long after the booking's end a complaint may be filed."""
MAX_PHOTOS = 6
DAILY_LIMIT = 5
"""Complaints one customer may file in 24 hours (complaint spam)."""
SYSTEM_ACTOR = Actor(SYSTEM)


def evidence_store(var_dir: Any) -> MediaStore:
    """Complaint photos: their own folder (the providers' media sweep never touches them)."""
    return MediaStore(var_dir / "evidence")


async def _prepare_photos(photos: Sequence[Upload]) -> list[PreparedMedia]:
    if len(photos) > MAX_PHOTOS:
        raise QualityError("photos", f"at most {MAX_PHOTOS} photos")
    prepared = []
    for n, upload in enumerate(photos):
        try:
            prepared.append(
                await anyio.to_thread.run_sync(
                    partial(prepare, upload, kind="photo", field=f"photos[{n}]")
                )
            )
        except MediaError as exc:
            raise QualityError(exc.field, exc.reason) from None
    return prepared


@within_tenant
async def create_complaint(
    tenant: Tenant,
    tenant_id: str,
    store: MediaStore,
    booking_id: str,
    actor: Actor,
    *,
    category: str,
    description: str,
    channel: str = "booking_page",
    photos: Sequence[Upload] = (),
    now: datetime | None = None,
) -> str:
    """The booking's customer files a complaint, or staff log one for a hotline call. Photos are
    checked and re-encoded like providers' media; all is stored or nothing is. Someone else's
    booking: LookupError (a 404)."""
    now = now or datetime.now(UTC)
    if category not in CATEGORIES:
        raise QualityError("category", "choose one of: " + ", ".join(CATEGORIES))
    if channel not in CHANNELS or (channel == "hotline") != (actor.role == STAFF):
        raise QualityError("channel", "hotline complaints are logged by support staff only")
    text = clean_body(description, "description")
    if len(text) < 5:
        raise QualityError("description", "say in a few words what went wrong")
    prepared = await _prepare_photos(photos)
    written: list[str] = []
    try:
        for media in prepared:
            written.append(store.write(tenant_id, media))
        return await _insert(
            tenant, tenant_id, booking_id, actor, category, text, channel, prepared, written, now
        )
    except BaseException as exc:
        for key in written:
            store.remove(tenant_id, key)
        if is_unique_or_exclusion_violation(exc):
            raise QualityError("booking", ALREADY, 409) from None
        raise


ALREADY = "this booking already has a complaint; reopen it instead"


async def _insert(
    tenant: Tenant,
    tenant_id: str,
    booking_id: str,
    actor: Actor,
    category: str,
    text: str,
    channel: str,
    prepared: list[PreparedMedia],
    keys: list[str],
    now: datetime,
) -> str:
    async with write_transaction():
        booking = await load(tenant_id, booking_id)
        if actor.role == CUSTOMER:
            role_in(booking, actor)
        elif actor.role != STAFF:
            raise LookupError(booking_id)
        if booking["status"] not in COMPLAINABLE:
            raise QualityError(
                "booking", "only a booking someone came for can be complained about", 409
            )
        if now > booking["ends_at"] + COMPLAINT_WINDOW:
            raise QualityError(
                "booking", "complaints are taken up to 30 days after the service", 409
            )
        if await Complaint.exists().where(
            (Complaint.tenant == tenant_id) & (Complaint.booking == booking_id)
        ):
            raise QualityError("booking", ALREADY, 409)
        recent = await Complaint.count().where(
            (Complaint.tenant == tenant_id)
            & (Complaint.customer == booking["customer"])
            & (Complaint.created_at > now - timedelta(days=1))
        )
        if recent >= DAILY_LIMIT:
            raise QualityError("booking", "too many complaints today; call customer service", 429)
        respond_in, resolve_in = deadlines(tenant, category)
        complaint = Complaint(
            tenant=tenant_id,
            booking=booking_id,
            customer=booking["customer"],
            provider=booking["provider"],
            vertical=booking["vertical"],
            category=category,
            channel=channel,
            description_enc=privacy.seal(text, field="complaint.description", tenant_id=tenant_id),
            status="open",
            first_response_due=now + respond_in,
            resolution_due=now + resolve_in,
            logged_by=actor.user_id if actor.role == STAFF else None,
            created_at=now,
            updated_at=now,
        )
        await Complaint.insert(complaint)
        cid = str(complaint.id)
        await ComplaintEvidence.insert(
            *[
                ComplaintEvidence(
                    tenant=tenant_id,
                    complaint=cid,
                    added_by_role=actor.role,
                    storage_key=key,
                    content_type=media.content_type,
                    size_bytes=len(media.data),
                    created_at=now,
                )
                for media, key in zip(prepared, keys, strict=True)
            ]
        ) if prepared else None
        author = actor if actor.role == CUSTOMER else SYSTEM_ACTOR
        await add_message(tenant_id, booking_id, author, text, complaint_id=cid, now=now)
        await enqueue(tenant_id, "quality.complaint", {"complaint_id": cid, "category": category})
        # A complaint is a dispute: the job's location trail is kept past retention.
        await hold_trail(tenant_id, booking_id)
    return cid


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintView:
    id: str
    booking_id: str
    provider_id: str | None
    vertical: str
    category: str
    channel: str
    status: str
    description: str
    reply: str
    first_response_due: datetime
    resolution_due: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    upheld: bool | None
    outcomes: list[str]
    reservice_booking_id: str | None
    refund_fen: int
    compensation_fen: int
    money_status: str
    reopened: int
    escalated: bool
    evidence: list[dict[str, Any]]
    created_at: datetime
    version: int
    role: str
    booking_total_fen: int = 0
    can_decide: bool = False
    """The customer may accept the outcome or reopen the complaint now."""
    extra: dict[str, Any] = field(default_factory=dict)


async def _row(tenant_id: str, complaint_id: str) -> dict[str, Any]:
    row = (
        await Complaint.select()
        .where((Complaint.tenant == tenant_id) & (Complaint.id == complaint_id))
        .first()
    )
    if row is None:
        raise LookupError(complaint_id)
    return row


def viewer_role(row: dict[str, Any], actor: Actor) -> str:
    """The actor's role on the complaint; a stranger gets LookupError (a 404)."""
    if actor.role in {STAFF, SYSTEM}:
        return actor.role
    if actor.role == CUSTOMER and str(row["customer"]) == actor.user_id:
        return CUSTOMER
    if actor.role == PROVIDER and row["provider"] and str(row["provider"]) == actor.provider_id:
        return PROVIDER
    raise LookupError(str(row["id"]))


def _view(
    tenant: Tenant,
    tenant_id: str,
    row: dict[str, Any],
    role: str,
    now: datetime,
    evidence: list[dict[str, Any]],
    total: int,
) -> ComplaintView:
    reopen_days = tenant.config.policies.quality.reopen_days
    decidable = row["status"] == "resolved" or (
        row["status"] == "closed"
        and row["resolved_at"] is not None
        and now <= row["resolved_at"] + timedelta(days=reopen_days)
    )
    return ComplaintView(
        id=str(row["id"]),
        booking_id=str(row["booking"]),
        provider_id=str(row["provider"]) if row["provider"] else None,
        vertical=row["vertical"],
        category=row["category"],
        channel=row["channel"],
        status=row["status"],
        description=privacy.unseal(
            row["description_enc"], field="complaint.description", tenant_id=tenant_id
        ),
        reply=privacy.unseal(row["reply_enc"], field="complaint.reply", tenant_id=tenant_id)
        if row["reply_enc"]
        else "",
        first_response_due=row["first_response_due"],
        resolution_due=row["resolution_due"],
        first_response_at=row["first_response_at"],
        resolved_at=row["resolved_at"],
        closed_at=row["closed_at"],
        upheld=row["upheld"],
        outcomes=[o for o in row["outcomes"].split(",") if o],
        reservice_booking_id=str(row["reservice_booking"]) if row["reservice_booking"] else None,
        refund_fen=int(row["refund_fen"]),
        compensation_fen=int(row["compensation_fen"]),
        money_status=row["money_status"],
        reopened=row["reopened"],
        escalated="escalate" in row["reminders"],
        evidence=evidence,
        created_at=row["created_at"],
        version=row["version"],
        role=role,
        booking_total_fen=total,
        can_decide=role == CUSTOMER and decidable,
    )


@within_tenant
async def get_complaint(
    tenant: Tenant, tenant_id: str, complaint_id: str, actor: Actor, now: datetime | None = None
) -> ComplaintView:
    now = now or datetime.now(UTC)
    row = await _row(tenant_id, complaint_id)
    role = viewer_role(row, actor)
    evidence = await ComplaintEvidence.select(
        ComplaintEvidence.id, ComplaintEvidence.storage_key, ComplaintEvidence.added_by_role
    ).where((ComplaintEvidence.tenant == tenant_id) & (ComplaintEvidence.complaint == complaint_id))
    booking = await load(tenant_id, str(row["booking"]))
    return _view(tenant, tenant_id, row, role, now, list(evidence), int(booking["total_fen"]))


@within_tenant
async def list_complaints(
    tenant: Tenant,
    tenant_id: str,
    actor: Actor,
    *,
    status: str | None = None,
    limit: int = 200,
    now: datetime | None = None,
) -> list[ComplaintView]:
    """The actor's complaints (a customer's own, against a provider, or all for staff), the
    most urgent deadline first for staff, newest first otherwise."""
    now = now or datetime.now(UTC)
    query = Complaint.select().where(Complaint.tenant == tenant_id)
    if actor.role == CUSTOMER:
        query = query.where(Complaint.customer == actor.user_id)
    elif actor.role == PROVIDER:
        query = query.where(Complaint.provider == actor.provider_id)
    elif actor.role != STAFF:
        return []
    if status:
        query = query.where(Complaint.status == status)
    if actor.role == STAFF:
        query = query.order_by(Complaint.resolution_due)
    else:
        query = query.order_by(Complaint.created_at, ascending=False)
    rows = await query.limit(limit)
    return [_view(tenant, tenant_id, row, actor.role, now, [], 0) for row in rows]


@within_tenant
async def evidence_key(tenant_id: str, complaint_id: str, evidence_id: str, actor: Actor) -> str:
    """The stored file of a complaint's photo, for someone who may see the complaint."""
    viewer_role(await _row(tenant_id, complaint_id), actor)
    row = (
        await ComplaintEvidence.select(ComplaintEvidence.storage_key)
        .where(
            (ComplaintEvidence.tenant == tenant_id)
            & (ComplaintEvidence.complaint == complaint_id)
            & (ComplaintEvidence.id == evidence_id)
        )
        .first()
    )
    if row is None:
        raise LookupError(evidence_id)
    return str(row["storage_key"])


# --- investigation ----------------------------------------------------------------------------


async def _bump(row: dict[str, Any], values: dict[Any, Any], now: datetime) -> None:
    changed = (
        await scoped(Complaint, row["tenant"])
        .update({**values, Complaint.version: row["version"] + 1, Complaint.updated_at: now})
        .where((Complaint.id == row["id"]) & (Complaint.version == row["version"]))
        .returning(Complaint.id)
    )
    if not changed:
        raise QualityError(
            "complaint", "the complaint changed meanwhile; reload and try again", 409
        )


@within_tenant
async def respond(
    tenant_id: str,
    complaint_id: str,
    actor: Actor,
    text: str,
    *,
    kind: str = "reply",
    now: datetime | None = None,
) -> None:
    """Staff write to the customer (``reply``: the first one stops the first-response clock)
    or a note for staff only; the provider gives their statement. Each goes to the thread."""
    now = now or datetime.now(UTC)
    body = clean_body(text, "text")
    async with write_transaction():
        row = await _row(tenant_id, complaint_id)
        role = viewer_role(row, actor)
        allowed = {STAFF: {"reply", "note"}, PROVIDER: {"statement"}}.get(role, set())
        if kind not in allowed:
            raise QualityError("kind", f"a {role} cannot add a {kind} to a complaint", 403)
        if row["status"] not in OPEN_STATES:
            raise QualityError("complaint", "this complaint is not open", 409)
        await add_message(
            tenant_id,
            str(row["booking"]),
            actor,
            body,
            kind=kind,
            complaint_id=complaint_id,
            now=now,
        )
        if kind == "reply" and row["first_response_at"] is None:
            await _bump(
                row,
                {Complaint.first_response_at: now, Complaint.status: "investigating"},
                now,
            )
        if kind == "reply":
            await enqueue(tenant_id, "quality.complaint_replied", {"complaint_id": complaint_id})
