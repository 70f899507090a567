"""Quality messages: who hears of a complaint, a penalty step or an appeal, and what they read.

* the customer: their complaint was received, support replied, it was resolved (with the
  outcome: a free re-service and when, a refund, compensation);
* the provider who served the booking: a complaint asks for their statement (the category, the
  item and the date only: never who complained or what they wrote), a penalty step was given
  (with the appeal window), an appeal was decided;
* staff: support agents are reminded before a complaint's deadline, and support agents and
  admins hear when one was missed (the escalation).

Messages carry links and facts, never the complaint's free text (it may name people and goes
out by SMS too); the reader follows the link to read it signed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.accounts.tables import User
from core.booking.states import CUSTOMER, PROVIDER, STAFF
from core.booking.tables import Booking
from core.catalog.model import TenantCatalog
from core.notifications.bookings import BookingFacts, booking_facts, site_url
from core.providers.tables import ProviderProfile
from core.quality.tables import Complaint, Sanction
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped

QUALITY_EVENTS = frozenset(
    {
        "quality.complaint",
        "quality.complaint_replied",
        "quality.complaint_resolved",
        "quality.complaint_remind",
        "quality.complaint_escalate",
        "quality.sanction",
        "quality.appeal_decided",
    }
)
"""The outbox kinds the quality domain writes (``core.quality``) that people hear of."""
REMINDED_ROLES = ("support",)
ESCALATED_ROLES = ("support", "admin")


@dataclass(frozen=True)
class Addressed:
    """One message of a quality event: to whom, which template, and its facts."""

    user_id: str
    audience: str
    """customer, provider or staff."""
    template: str
    booking: BookingFacts | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def context(self, tenant: Tenant, catalog: TenantCatalog, locale: str) -> dict[str, Any]:
        """The template's variables in the reader's language."""
        booking = self.booking
        return {
            "audience": self.audience,
            "item": booking.item_label(tenant, catalog, locale) if booking else "",
            "starts_at": booking.starts_at if booking else None,
            "ends_at": booking.ends_at if booking else None,
            "price_fen": booking.total_fen if booking else 0,
            **self.values,
        }


async def quality_messages(
    tenant: Tenant, tenant_id: Any, kind: str, payload: dict[str, Any]
) -> list[Addressed]:
    """The messages of one quality event (none if its complaint or step is gone)."""
    if kind in {"quality.sanction", "quality.appeal_decided"}:
        return await _step_messages(tenant, tenant_id, kind, str(payload.get("sanction_id")))
    row = (
        await scoped(Complaint, tenant_id)
        .select()
        .where(Complaint.id == str(payload.get("complaint_id")))
        .first()
    )
    if row is None:
        return []
    booking = await booking_facts(tenant, tenant_id, str(row["booking"]))
    link = f"{site_url(tenant)}/complaints/{row['id']}"
    values: dict[str, Any] = {"category": row["category"], "link": link}
    customer = str(row["customer"])
    if kind == "quality.complaint":
        found = [
            Addressed(
                customer,
                CUSTOMER,
                "complaint_received",
                booking,
                {
                    **values,
                    "resolution_due": row["resolution_due"],
                    "hotline": row["channel"] == "hotline",
                },
            )
        ]
        if booking is not None and booking.provider_user is not None:
            found.append(
                Addressed(booking.provider_user, PROVIDER, "statement_requested", booking, values)
            )
        return found
    if kind == "quality.complaint_replied":
        return [Addressed(customer, CUSTOMER, "complaint_replied", booking, values)]
    if kind == "quality.complaint_resolved":
        return [
            Addressed(
                customer,
                CUSTOMER,
                "complaint_resolved",
                booking,
                {**values, **await _outcome(tenant_id, row)},
            )
        ]
    clock = str(payload.get("clock", "resolution"))
    due = row["first_response_due"] if clock == "response" else row["resolution_due"]
    escalated = kind == "quality.complaint_escalate"
    staff_values = {
        **values,
        "link": f"{site_url(tenant)}/admin/complaints/{row['id']}",
        "clock": clock,
        "due": due,
    }
    template = "complaint_escalated" if escalated else "complaint_deadline"
    roles = ESCALATED_ROLES if escalated else REMINDED_ROLES
    return [
        Addressed(user, STAFF, template, booking, staff_values)
        for user in await staff_with(tenant_id, roles)
    ]


async def _outcome(tenant_id: Any, row: dict[str, Any]) -> dict[str, Any]:
    outcomes = [o for o in row["outcomes"].split(",") if o]
    reservice_at: datetime | None = None
    if row["reservice_booking"] is not None:
        again = (
            await scoped(Booking, tenant_id)
            .select(Booking.starts_at)
            .where(Booking.id == row["reservice_booking"])
            .first()
        )
        reservice_at = again["starts_at"] if again else None
    return {
        "upheld": bool(row["upheld"]),
        "outcomes": outcomes,
        "reservice_at": reservice_at,
        "refund_fen": int(row["refund_fen"]),
        "compensation_fen": int(row["compensation_fen"]),
    }


async def _step_messages(
    tenant: Tenant, tenant_id: Any, kind: str, sanction_id: str
) -> list[Addressed]:
    row = await scoped(Sanction, tenant_id).select().where(Sanction.id == sanction_id).first()
    if row is None:
        return []
    profile = (
        await scoped(ProviderProfile, tenant_id)
        .select(ProviderProfile.user)
        .where(ProviderProfile.id == row["provider"])
        .first()
    )
    if profile is None:
        return []
    values = {
        "level": row["level"],
        "points": int(row["points"]),
        "step_ends_at": row["ends_at"],
        "appeal_until": row["appeal_until"],
        "decision": row["appeal_decision"],
        "reason": row["appeal_reason"],
        "link": f"{site_url(tenant)}/provider/quality/",
    }
    template = "penalty_step" if kind == "quality.sanction" else "appeal_decided"
    return [Addressed(str(profile["user"]), PROVIDER, template, None, values)]


async def staff_with(tenant_id: Any, roles: Iterable[str]) -> list[str]:
    """Staff accounts (not disabled or deleted) holding any of ``roles``."""
    wanted = set(roles)
    rows = await (
        scoped(User, tenant_id)
        .select(User.id, User.roles, User.disabled_at)
        .where((User.kind == "staff") & User.deleted_at.is_null())
        .order_by(User.created_at)
    )
    return [
        str(r["id"])
        for r in rows
        if r["disabled_at"] is None and wanted & set((r["roles"] or "").split(","))
    ]
