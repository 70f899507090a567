"""Outcomes of a complaint: staff resolve it (the reply, and for an upheld complaint a free
re-service, a refund, compensation from the provider's deposit, a penalty event); the customer
accepts the outcome or reopens the complaint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.booking import creation
from core.booking import service as booking_service
from core.booking.service import Actor, BookingRequest, ItemRequest, load
from core.booking.states import CUSTOMER, STAFF
from core.db import write_transaction
from core.notifications.outbox import enqueue
from core.privacy import service as privacy
from core.quality import ladder, remedies
from core.quality.rules import OPEN_STATES, QualityError, deadlines
from core.quality.score import refresh_provider
from core.quality.service import (
    SYSTEM_ACTOR,
    ComplaintView,
    _bump,
    _row,
    get_complaint,
    viewer_role,
)
from core.quality.tables import Complaint
from core.quality.thread import add_message, clean_body
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, within_tenant


@dataclass(frozen=True)
class Resolution:
    """What staff decide. Money in fen; ``reservice_at`` books a free re-service then, with
    ``reservice_provider`` (``same``, ``any`` or a provider id)."""

    reply: str
    upheld: bool
    reservice_at: datetime | None = None
    reservice_provider: str = "same"
    refund_fen: int = 0
    compensation_fen: int = 0
    penalty: bool = False


def _check_resolution(
    tenant: Tenant, row: dict[str, Any], booking: dict[str, Any], r: Resolution
) -> None:
    if not r.reply.strip():
        raise QualityError("reply", "write the answer the customer will read")
    if r.refund_fen < 0 or r.compensation_fen < 0:
        raise QualityError("refund_fen", "amounts cannot be negative")
    paid = int(booking["total_fen"])
    granted = int(row["refund_fen"]) + int(row["compensation_fen"])
    if granted + r.refund_fen + r.compensation_fen > paid:
        raise QualityError(
            "refund_fen",
            f"refund and compensation cannot exceed what was paid ({paid - granted} fen left)",
        )
    if (r.compensation_fen or r.penalty) and not row["provider"]:
        raise QualityError("compensation_fen", "this booking had no provider")
    if (r.compensation_fen or r.penalty or r.reservice_at) and not r.upheld:
        raise QualityError(
            "upheld", "only an upheld complaint gets a re-service, compensation or a penalty"
        )
    if row["status"] not in OPEN_STATES:
        raise QualityError("complaint", "this complaint is not open", 409)


async def _reservice(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: Any,
    booking: dict[str, Any],
    r: Resolution,
    complaint_id: str,
    now: datetime,
) -> str:
    """A free booking of the same items at the same address, through the one write path."""
    assert r.reservice_at is not None
    lat, lng = privacy.unseal(
        booking["point_enc"], field="booking.point", tenant_id=tenant_id
    ).split(",")
    provider = {"same": str(booking["provider"]), "any": None}.get(
        r.reservice_provider, r.reservice_provider
    )
    items = booking_service.items_of(booking)
    request = BookingRequest(
        items=[
            ItemRequest(
                i["item"], i["tier"], dict(i.get("intake") or {}), list(i.get("addons") or [])
            )
            for i in items
        ],
        starts_at=r.reservice_at,
        address=privacy.unseal(
            booking["address_enc"], field="booking.address", tenant_id=tenant_id
        ),
        point=(float(lat), float(lng)),
        district=booking["district"],
        provider_id=provider,
        note=f"re-service for complaint {complaint_id}",
        complimentary=True,
    )
    try:
        return await creation.create_booking(
            plugins, tenant, tenant_id, catalog, str(booking["customer"]), request, now=now
        )
    except booking_service.BookingError as exc:
        first = exc.problems[0]
        name = {"starts_at": "reservice_at", "provider_id": "reservice_provider"}.get(
            first.field, "reservice_at"
        )
        raise QualityError(name, first.reason, exc.status_code) from None


@within_tenant
async def resolve(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: Any,
    complaint_id: str,
    staff_id: str,
    resolution: Resolution,
    now: datetime | None = None,
) -> ComplaintView:
    """Staff resolve: the reply to the customer, and for an upheld complaint any of a free
    re-service, a refund, compensation from the provider's deposit and a penalty event.
    Everything is checked before anything is written; a refusal changes nothing."""
    now = now or datetime.now(UTC)
    actor = Actor(STAFF, staff_id)
    row = await _row(tenant_id, complaint_id)
    booking = await load(tenant_id, str(row["booking"]))
    _check_resolution(tenant, row, booking, resolution)
    reservice = None
    if resolution.reservice_at is not None:
        reservice = await _reservice(
            plugins, tenant, tenant_id, catalog, booking, resolution, complaint_id, now
        )
    outcomes = ["explanation"]
    outcomes += ["reservice"] if reservice else []
    outcomes += ["refund"] if resolution.refund_fen else []
    outcomes += ["compensation"] if resolution.compensation_fen else []
    outcomes += ["penalty"] if resolution.penalty else []
    try:
        async with write_transaction():
            row = await _row(tenant_id, complaint_id)
            _check_resolution(tenant, row, booking, resolution)
            reply = clean_body(resolution.reply, "reply")
            values: dict[Any, Any] = {
                Complaint.status: "resolved",
                Complaint.resolved_at: now,
                Complaint.upheld: resolution.upheld,
                Complaint.reply_enc: privacy.seal(
                    reply, field="complaint.reply", tenant_id=tenant_id
                ),
                Complaint.outcomes: ",".join(
                    dict.fromkeys([*row["outcomes"].split(","), *outcomes]).keys()
                ).strip(","),
                Complaint.refund_fen: int(row["refund_fen"]) + resolution.refund_fen,
                Complaint.compensation_fen: int(row["compensation_fen"])
                + resolution.compensation_fen,
            }
            if row["first_response_at"] is None:
                values[Complaint.first_response_at] = now
            if reservice:
                values[Complaint.reservice_booking] = reservice
            if resolution.refund_fen or resolution.compensation_fen:
                values[Complaint.money_status] = "pending"
            await _bump(row, values, now)
            await add_message(
                tenant_id,
                str(row["booking"]),
                actor,
                reply,
                kind="reply",
                complaint_id=complaint_id,
                now=now,
            )
            if resolution.penalty and row["provider"]:
                pid = str(row["provider"])
                await ladder.record_event(
                    tenant,
                    tenant_id,
                    pid,
                    "upheld_complaint",
                    dedupe=f"complaint:{complaint_id}",
                    now=now,
                    booking_id=str(row["booking"]),
                    complaint_id=complaint_id,
                    detail=row["category"],
                )
                if row["category"] == "rudeness":
                    await ladder.record_event(
                        tenant,
                        tenant_id,
                        pid,
                        "rudeness",
                        dedupe=f"rudeness:{complaint_id}",
                        now=now,
                        booking_id=str(row["booking"]),
                        complaint_id=complaint_id,
                    )
                await ladder.apply_ladder(tenant, tenant_id, pid, now)
                await refresh_provider(tenant, tenant_id, pid, now)
            await enqueue(tenant_id, "quality.complaint_resolved", {"complaint_id": complaint_id})
    except BaseException:
        if reservice:
            # The complaint moved meanwhile: the re-service made for it is withdrawn.
            await booking_service.transition(
                tenant,
                tenant_id,
                reservice,
                "cancelled",
                actor,
                reason="complaint changed meanwhile",
                now=now,
            )
        raise
    await pay_remedies(tenant, tenant_id, complaint_id, now)
    return await get_complaint(tenant, tenant_id, complaint_id, actor, now=now)


@within_tenant
async def pay_remedies(
    tenant: Tenant, tenant_id: str, complaint_id: str, now: datetime | None = None
) -> str:
    """Post the complaint's refund and compensation (idempotent keys: a retry posts nothing
    twice). Returns the money status: ``done`` or what it still waits for."""
    row = await _row(tenant_id, complaint_id)
    if row["money_status"] in {"", remedies.DONE}:
        return str(row["money_status"])
    currency = tenant.config.currency
    statuses = []
    if int(row["refund_fen"]):
        statuses.append(
            await remedies.refund(
                tenant,
                tenant_id,
                str(row["booking"]),
                int(row["refund_fen"]),
                currency,
                key=f"complaint:{complaint_id}:refund:{int(row['refund_fen'])}",
                now=now,
            )
        )
    if int(row["compensation_fen"]):
        statuses.append(
            await remedies.compensate(
                tenant,
                tenant_id,
                str(row["provider"]),
                str(row["booking"]),
                int(row["compensation_fen"]),
                currency,
                key=f"complaint:{complaint_id}:compensation:{int(row['compensation_fen'])}",
            )
        )
    status = next((s for s in statuses if s != remedies.DONE), remedies.DONE)
    async with write_transaction():
        await (
            scoped(Complaint, tenant_id)
            .update({Complaint.money_status: status})
            .where(Complaint.id == complaint_id)
        )
    return status


# --- the customer's answer -------------------------------------------------------------------


@within_tenant
async def accept(
    tenant: Tenant, tenant_id: str, complaint_id: str, customer_id: str, now: datetime | None = None
) -> None:
    """The customer accepts the outcome: the complaint is closed."""
    now = now or datetime.now(UTC)
    async with write_transaction():
        row = await _row(tenant_id, complaint_id)
        viewer_role(row, Actor(CUSTOMER, customer_id))
        if row["status"] != "resolved":
            raise QualityError("complaint", "there is no outcome to accept yet", 409)
        await _bump(row, {Complaint.status: "closed", Complaint.closed_at: now}, now)
        await add_message(
            tenant_id,
            str(row["booking"]),
            SYSTEM_ACTOR,
            "outcome accepted",
            kind="event",
            complaint_id=complaint_id,
            now=now,
        )


@within_tenant
async def reopen(
    tenant: Tenant,
    tenant_id: str,
    complaint_id: str,
    customer_id: str,
    reason: str,
    now: datetime | None = None,
) -> None:
    """The customer is not satisfied: the complaint opens again (within the tenant's days after
    its resolution) with a new resolution deadline."""
    now = now or datetime.now(UTC)
    body = clean_body(reason, "reason")
    async with write_transaction():
        row = await _row(tenant_id, complaint_id)
        actor = Actor(CUSTOMER, customer_id)
        viewer_role(row, actor)
        if row["status"] not in {"resolved", "closed"} or row["resolved_at"] is None:
            raise QualityError("complaint", "only a resolved complaint can be reopened", 409)
        if now > row["resolved_at"] + timedelta(days=tenant.config.policies.quality.reopen_days):
            raise QualityError("complaint", "the time to reopen this complaint has passed", 409)
        _, resolve_in = deadlines(tenant, row["category"])
        await _bump(
            row,
            {
                Complaint.status: "investigating",
                Complaint.reopened: row["reopened"] + 1,
                Complaint.resolution_due: now + resolve_in,
                Complaint.resolved_at: None,
                Complaint.closed_at: None,
                Complaint.reminders: "",
            },
            now,
        )
        await add_message(
            tenant_id, str(row["booking"]), actor, body, complaint_id=complaint_id, now=now
        )
