"""Safety messages: the "are you OK?" of the safety watch (``core.safety.anomalies``), sent to
the person concerned through the tenant's channels, so it reaches them even with the job page
closed. The message names the job and links to the question; it never carries a position.

The alerts of an incident itself (officers, emergency contacts) are not sent from here: they
go out at once from ``core.safety.alerts``, which keeps its own retry and escalation state.
"""

from __future__ import annotations

from typing import Any

from core.booking.states import CUSTOMER, PROVIDER
from core.notifications.bookings import booking_facts, site_url
from core.notifications.quality import Addressed
from core.safety.tables import WellbeingCheck
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped

SAFETY_EVENTS = frozenset({"safety.check"})
"""The outbox kinds the safety domain writes that people hear of."""


async def safety_messages(
    tenant: Tenant, tenant_id: Any, kind: str, payload: dict[str, Any]
) -> list[Addressed]:
    """The "are you OK?" to the person asked; nothing once it is answered (on the job page,
    say) or if the question or its booking is gone."""
    if kind != "safety.check":
        return []
    check = (
        await scoped(WellbeingCheck, tenant_id)
        .select()
        .where(WellbeingCheck.id == str(payload.get("check_id")))
        .first()
    )
    if check is None or check["answer"]:
        return []
    booking = await booking_facts(tenant, tenant_id, str(check["booking"]))
    if booking is None:
        return []
    user = str(check["user"])
    values = {
        "anomaly": check["anomaly"],
        "due": check["due_at"],
        "emergency": tenant.config.policies.safety.emergency_number,
        "link": f"{site_url(tenant)}/safety/checks/{check['id']}",
    }
    audience = CUSTOMER if user == booking.customer_user else PROVIDER
    return [Addressed(user, audience, "safety_check", booking, values)]
