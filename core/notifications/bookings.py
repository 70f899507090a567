"""What booking messages say and to whom: the facts of a booking, who hears of each event.

Personal data stays minimal: the customer never gets the provider's contact details or full
name (the public name only); the provider sees the district until the booking is accepted and
the full address only while it is active (accepted, en route, arrived, in progress).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.accounts.tables import User
from core.booking.states import ACTIVE_STATES, CUSTOMER, PROVIDER
from core.booking.tables import Booking
from core.catalog.model import TenantCatalog
from core.privacy import service as privacy
from core.providers.service import public_name
from core.providers.tables import ProviderProfile
from core.tenancy.model import Tenant

REMINDER_LEADS_HOURS = (24, 1)
"""Reminders go out this many hours before the start."""
REMINDER_STATES = frozenset({"accepted", "en_route"})
"""A reminder is sent only while the booking is still on (not cancelled, not done)."""


@dataclass(frozen=True)
class Notice:
    """One message to send for an event: to the booking's ``customer`` or ``provider``."""

    audience: str
    template: str


@dataclass(frozen=True)
class BookingFacts:
    id: str
    status: str
    vertical: str
    item_refs: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    district: str
    total_fen: int
    customer_user: str
    provider_profile: str | None
    provider_user: str | None
    provider_name: str
    """The public name (``王师傅``), never the full name unless the tenant shows full names."""
    address_enc: str
    version: int
    updated_at: datetime

    def user_of(self, audience: str) -> str | None:
        return self.customer_user if audience == CUSTOMER else self.provider_user

    def address_for(self, audience: str, tenant_id: Any) -> str:
        """The full address for the assigned provider of an active booking; else ""."""
        if audience != PROVIDER or self.status not in ACTIVE_STATES:
            return ""
        return privacy.unseal(self.address_enc, field="booking.address", tenant_id=tenant_id)

    def item_label(self, tenant: Tenant, catalog: TenantCatalog, locale: str) -> str:
        labels = []
        for ref in self.item_refs:
            item = catalog.item(ref)
            labels.append(tenant.config.text(item.label, locale) if item else ref.split(".")[-1])
        return ("、" if locale.startswith("zh") else ", ").join(labels)


async def booking_facts(tenant: Tenant, tenant_id: Any, booking_id: str) -> BookingFacts | None:
    """The booking as messages need it (None if it does not exist in this tenant)."""
    row = (
        await Booking.select()
        .where((Booking.id == booking_id) & (Booking.tenant == tenant_id))
        .first()
    )
    if row is None:
        return None
    provider_user = None
    name = ""
    if row["provider"] is not None:
        profile = (
            await ProviderProfile.select(
                ProviderProfile.user, ProviderProfile.name_enc, ProviderProfile.gender
            )
            .where((ProviderProfile.id == row["provider"]) & (ProviderProfile.tenant == tenant_id))
            .first()
        )
        if profile is not None:
            provider_user = str(profile["user"])
            if profile["name_enc"]:
                full = privacy.unseal(
                    profile["name_enc"], field="provider.name", tenant_id=tenant_id
                )
                style = tenant.config.policies.providers.display_name
                name = public_name(full, style, profile["gender"])
    items = row["items"]
    items = json.loads(items) if isinstance(items, str) else items
    return BookingFacts(
        id=str(row["id"]),
        status=row["status"],
        vertical=row["vertical"],
        item_refs=tuple(i["item"] for i in items),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        district=row["district"],
        total_fen=int(row["total_fen"]),
        customer_user=str(row["customer"]),
        provider_profile=str(row["provider"]) if row["provider"] is not None else None,
        provider_user=provider_user,
        provider_name=name,
        address_enc=row["address_enc"],
        version=int(row["version"]),
        updated_at=row["updated_at"],
    )


@dataclass(frozen=True)
class Contact:
    phone: str
    email: str
    locale: str

    def address(self, kind: str) -> str:
        """The address a channel of this ``address_kind`` sends to ("" if there is none)."""
        if kind == "phone":
            return self.phone
        if kind == "email":
            return self.email
        return self.phone or self.email


async def contact_of(tenant_id: Any, user_id: str) -> Contact | None:
    """A system read of the user's phone and email, to send to (never logged, never stored)."""
    row = (
        await User.select(User.phone_enc, User.email_enc, User.locale, User.deleted_at)
        .where((User.id == user_id) & (User.tenant == tenant_id))
        .first()
    )
    if row is None or row["deleted_at"] is not None:
        return None
    phone = (
        privacy.unseal(row["phone_enc"], field="user.phone", tenant_id=tenant_id)
        if row["phone_enc"]
        else ""
    )
    email = (
        privacy.unseal(row["email_enc"], field="user.email", tenant_id=tenant_id)
        if row["email_enc"]
        else ""
    )
    return Contact(phone=phone, email=email, locale=row["locale"] or "")


def site_url(tenant: Tenant) -> str:
    """The tenant's first host: ``http://<host>:<PORT>`` for the ``*.localhost`` development
    hosts, https otherwise."""
    host = tenant.config.hosts[0]
    if host == "localhost" or host.endswith(".localhost"):
        return f"http://{host}:{os.environ.get('PORT', '8000')}"
    return f"https://{host}"


def booking_link(tenant: Tenant, booking_id: str, audience: str = CUSTOMER) -> str:
    """The customer's booking page, or the provider's job page."""
    path = f"/provider/jobs/{booking_id}" if audience == PROVIDER else f"/bookings/{booking_id}"
    return site_url(tenant) + path


def calendar_link(tenant: Tenant, booking_id: str) -> str:
    """``/bookings/<id>/calendar.ics``: for the customer and the assigned provider alike."""
    return f"{site_url(tenant)}/bookings/{booking_id}/calendar.ics"


def transition_notices(payload: dict[str, Any], booking: BookingFacts) -> list[Notice]:
    """Who hears of a state change. Offers and "on the way" are dropped once the booking has
    moved on (a late relay must not ask a provider to accept a job already taken)."""
    before, after, actor = payload.get("from"), payload.get("to"), payload.get("actor_role")
    has_provider = booking.provider_user is not None
    notices: list[Notice] = []
    if before == after:  # a reschedule: the side that did not move it hears the new time
        if booking.status not in {"offered", "accepted"}:
            return []
        if actor != CUSTOMER:
            notices.append(Notice(CUSTOMER, "booking_rescheduled"))
        if actor != PROVIDER and has_provider:
            notices.append(Notice(PROVIDER, "job_rescheduled"))
        return notices
    if after == "offered":
        if booking.status == "offered" and has_provider:
            # The customer hears of the first offer only, not of every step of a cascade.
            if before == "requested":
                notices.append(Notice(CUSTOMER, "booking_requested"))
            notices.append(Notice(PROVIDER, "job_offered"))
    elif after == "expired":
        # Only the expiry that ended it: an urgent request expires once per provider who did
        # not answer, and all but the last went on to the next provider.
        if booking.status == "expired" and _at(payload) == booking.updated_at:
            notices.append(Notice(CUSTOMER, "booking_expired"))
    elif after == "accepted":
        notices.append(Notice(CUSTOMER, "booking_confirmed"))
        if has_provider:
            notices.append(Notice(PROVIDER, "job_confirmed"))
    elif after == "en_route":
        if booking.status == "en_route":
            notices.append(Notice(CUSTOMER, "provider_on_the_way"))
    elif after == "completed":
        notices.append(Notice(CUSTOMER, "booking_completed"))
        if has_provider:
            notices.append(Notice(PROVIDER, "job_completed"))
    elif after == "cancelled":
        if actor != CUSTOMER:
            notices.append(Notice(CUSTOMER, "booking_cancelled"))
        if actor != PROVIDER and has_provider and before != "requested":
            notices.append(Notice(PROVIDER, "job_cancelled"))
    return notices


def _at(payload: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(payload.get("at")))
    except ValueError:
        return None


def reminder_notices(payload: dict[str, Any], booking: BookingFacts) -> list[Notice]:
    """Both sides, if the booking is still on and still starts when the reminder was set for
    (a rescheduled booking has reminders of its own)."""
    if booking.status not in REMINDER_STATES:
        return []
    try:
        planned = datetime.fromisoformat(str(payload.get("starts_at")))
    except ValueError:
        return []
    if planned != booking.starts_at:
        return []
    notices = [Notice(CUSTOMER, "booking_reminder")]
    if booking.provider_user is not None:
        notices.append(Notice(PROVIDER, "job_reminder"))
    return notices
