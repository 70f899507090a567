"""Who is alerted about an incident, at which escalation level, and the delivery of each
alert through the tenant's channels (the YAML's order, falling back to the next channel).

Alerts are rows (``Alert``): written with the incident or the escalation, sent right away when
possible, and otherwise retried by the worker until a channel takes them. Nothing lives only in
memory, so a restart mid-escalation picks up where it stopped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from core.accounts.tables import User
from core.db import write_transaction
from core.i18n.catalogs import build_translations
from core.notifications.bookings import contact_of, site_url
from core.notifications.channels import Message, NotificationChannel
from core.privacy import service as privacy
from core.privacy.masking import mask_phone
from core.safety import evidence
from core.safety.tables import Alert, EmergencyContact, EmergencyDisclosure, Incident
from core.tenancy.scoped import scoped

if TYPE_CHECKING:
    from core.plugins import DoorstepPluginManager
    from core.tenancy.model import Tenant

log = logging.getLogger("doorstep.safety")

OFFICER_TEXT = (
    "[%(brand)s] %(severity)s safety alert: %(what)s (%(district)s). "
    "Acknowledge it in the admin console: %(link)s"
)
ESCALATED_TEXT = (
    "[%(brand)s] ESCALATED, nobody has acknowledged it yet: %(what)s (%(district)s). %(link)s"
)
CONTACT_TEXT = (
    "[%(brand)s] %(name)s pressed the emergency button during a home-service visit. "
    "Our safety team is handling it now. If you believe they are in danger, call %(emergency)s."
)
WHAT = {
    "sos": "SOS pressed by the %(role)s",
    "unanswered_check": 'an "are you OK?" was not answered by the %(role)s',
}
SEVERITY = {"critical": "CRITICAL", "high": "HIGH"}
EMERGENCY_BASIS = "PIPL art. 13(1)(4): to protect life, health and property in an emergency"
LEASE = timedelta(minutes=2)
"""A claimed alert is left to its sender this long before another may try it."""


def backoff(attempts: int) -> timedelta:
    """15 s after the first failed round, doubling, at most 5 minutes: an emergency keeps
    trying."""
    return min(timedelta(seconds=15 * 2 ** max(attempts - 1, 0)), timedelta(minutes=5))


# --- who ----------------------------------------------------------------------------------


async def safety_officers(tenant_id: str) -> list[str]:
    rows = (
        await scoped(User, tenant_id)
        .select(User.id, User.roles, User.disabled_at)
        .where((User.kind == "staff") & User.deleted_at.is_null())
    )
    return [
        str(r["id"])
        for r in rows
        if r["disabled_at"] is None and "safety_officer" in (r["roles"] or "").split(",")
    ]


async def on_call_users(tenant: Tenant, tenant_id: str) -> list[str]:
    """The tenant's on-call staff in order (unknown addresses are skipped and logged)."""
    found: list[str] = []
    for email in tenant.config.policies.safety.on_call:
        key = privacy.lookup_key(email.strip().lower(), purpose="email", tenant_id=tenant_id)
        row = await scoped(User, tenant_id).select(User.id).where(User.email_idx == key).first()
        if row is None:
            log.warning("on-call entry %d of %s is no staff account", len(found), tenant.slug)
            continue
        found.append(str(row["id"]))
    return found


async def level_recipients(
    tenant: Tenant, tenant_id: str, level: int
) -> list[tuple[str, str]] | None:
    """The (kind, recipient) pairs of escalation ``level``; None past the last level.

    Level 0: every safety officer (and the first on-call). Then each next on-call in turn.
    Last: the agency's safety desk."""
    on_call = await on_call_users(tenant, tenant_id)
    first = list(dict.fromkeys([*(await safety_officers(tenant_id)), *on_call[:1]]))
    levels: list[list[tuple[str, str]]] = [[("staff", u) for u in first]]
    levels += [[("staff", u)] for u in on_call[1:]]
    levels.append([("agency", a) for a in tenant.config.policies.safety.agency_contacts])
    return levels[level] if level < len(levels) else None


async def contacts_of(tenant_id: str, user_id: str | None) -> list[str]:
    if not user_id:
        return []
    rows = (
        await scoped(EmergencyContact, tenant_id)
        .select(EmergencyContact.id)
        .where(EmergencyContact.user == user_id)
    )
    return [str(r["id"]) for r in rows]


async def queue_alerts(
    tenant_id: str, incident_id: str, level: int, recipients: list[tuple[str, str]], now: datetime
) -> int:
    """Inside the caller's write transaction (with the incident or the escalation)."""
    if not recipients:
        return 0
    await scoped(Alert, tenant_id).insert(
        *[
            Alert(
                tenant=tenant_id,
                incident=incident_id,
                level=level,
                recipient_kind=kind,
                recipient=recipient[:200],
                next_try_at=now,
            )
            for kind, recipient in recipients
        ]
    )
    return len(recipients)


# --- sending ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    phone: str
    email: str
    locale: str
    label: str
    """Masked, for the evidence log."""

    def for_channel(self, channel: NotificationChannel) -> str:
        if channel.address_kind == "phone":
            return self.phone
        if channel.address_kind == "email":
            return self.email
        return self.phone or self.email


async def _address(tenant_id: str, alert: dict[str, Any]) -> Address | None:
    kind, ref = alert["recipient_kind"], alert["recipient"]
    if kind == "staff":
        found = await contact_of(tenant_id, ref)
        if found is None:
            return None
        return Address(found.phone, found.email, found.locale, "safety officer")
    if kind == "contact":
        row = (
            await scoped(EmergencyContact, tenant_id)
            .select(EmergencyContact.phone_enc)
            .where(EmergencyContact.id == ref)
            .first()
        )
        if row is None:
            return None
        phone = privacy.unseal(row["phone_enc"], field="safety.contact_phone", tenant_id=tenant_id)
        return Address(phone, "", "", f"emergency contact {mask_phone(phone)}")
    if "@" in ref:
        return Address("", ref, "", "agency safety desk")
    return Address(ref, "", "", "agency safety desk")


async def _text(
    tenant: Tenant, tenant_id: str, incident: dict[str, Any], alert: dict[str, Any], locale: str
) -> str:
    config = tenant.config
    locale = locale if locale in config.locales else config.default_locale
    t = build_translations(locale, [], config.wording.get(locale, {}))
    brand = tenant.name(locale)
    if alert["recipient_kind"] == "contact":
        name = ""
        if incident["raised_by"]:
            row = (
                await scoped(User, tenant_id)
                .select(User.name_enc)
                .where(User.id == incident["raised_by"])
                .first()
            )
            if row and row["name_enc"]:
                name = privacy.unseal(row["name_enc"], field="user.name", tenant_id=tenant_id)
        return t.gettext(CONTACT_TEXT) % {
            "brand": brand,
            "name": name or t.gettext("Someone you know"),
            "emergency": config.policies.safety.emergency_number,
        }
    role = t.gettext(incident["raised_role"] or "customer")
    values = {
        "brand": brand,
        "severity": t.gettext(SEVERITY.get(incident["severity"], "HIGH")),
        "what": t.gettext(WHAT.get(incident["kind"], WHAT["sos"])) % {"role": role},
        "district": incident.get("district") or "-",
        "link": f"{site_url(tenant)}/admin/safety/{incident['id']}",
    }
    return t.gettext(ESCALATED_TEXT if alert["level"] > 0 else OFFICER_TEXT) % values


async def deliver_alerts(
    plugins: DoorstepPluginManager,
    tenant: Tenant,
    tenant_id: str,
    now: datetime,
    *,
    incident_id: str | None = None,
) -> dict[str, int]:
    """Send the due alerts (of one incident, or all): each through the first of the tenant's
    channels that takes it. One that no channel took is retried after a back-off."""
    from core.accounts.codes import tenant_channels
    from core.booking.tables import Booking

    report = {"safety_alerts_sent": 0, "safety_alerts_retried": 0}
    due = (Alert.status == "pending") & (Alert.next_try_at <= now)
    if incident_id is not None:
        due = due & (Alert.incident == incident_id)
    async with write_transaction():
        ids = [
            r["id"] for r in await scoped(Alert, tenant_id).select(Alert.id).where(due).limit(50)
        ]
        claimed = (
            await scoped(Alert, tenant_id)
            .update({Alert.next_try_at: now + LEASE, Alert.attempts: Alert.attempts + 1})
            .where(Alert.id.is_in(ids) & due)
            .returning(
                Alert.id,
                Alert.incident,
                Alert.level,
                Alert.recipient_kind,
                Alert.recipient,
                Alert.attempts,
            )
            if ids
            else []
        )
    if not claimed:
        return {}
    channels = tenant_channels(plugins, tenant)
    for alert in claimed:
        incident = (
            await scoped(Incident, tenant_id)
            .select()
            .where(Incident.id == alert["incident"])
            .first()
        )
        if incident is None:
            continue
        if incident["booking"]:
            found = (
                await scoped(Booking, tenant_id)
                .select(Booking.district)
                .where(Booking.id == incident["booking"])
                .first()
            )
            incident["district"] = found["district"] if found else ""
        address = await _address(tenant_id, alert)
        sent_on, failures = "", []
        if address is not None:
            body = await _text(tenant, tenant_id, incident, alert, address.locale)
            for channel in channels:
                to = address.for_channel(channel)
                if not to:
                    continue
                try:
                    await channel.send(Message(to=to, subject=body[:60], body=body))
                except Exception as exc:  # an outage: the next channel may get through
                    failures.append(f"{channel.identifier}: {type(exc).__name__}")
                    log.warning(
                        "safety alert via %s failed (%s)", channel.identifier, type(exc).__name__
                    )
                    continue
                sent_on = channel.identifier
                break
        await _finish(tenant_id, alert, address, sent_on, failures, now)
        report["safety_alerts_sent" if sent_on else "safety_alerts_retried"] += 1
    return {k: v for k, v in report.items() if v}


async def _finish(
    tenant_id: str,
    alert: dict[str, Any],
    address: Address | None,
    sent_on: str,
    failures: list[str],
    now: datetime,
) -> None:
    label = address.label if address else alert["recipient_kind"]
    for attempt in range(3):
        try:
            async with write_transaction():
                if sent_on:
                    await (
                        scoped(Alert, tenant_id)
                        .update(
                            {
                                Alert.status: "sent",
                                Alert.channel: sent_on,
                                Alert.sent_at: now,
                                Alert.last_error: "",
                            }
                        )
                        .where(Alert.id == alert["id"])
                    )
                    await evidence.append(
                        tenant_id,
                        str(alert["incident"]),
                        "alert_sent",
                        {
                            "to": label,
                            "channel": sent_on,
                            "level": alert["level"],
                            "failed_first": failures,
                        },
                        at=now,
                    )
                    if alert["recipient_kind"] == "contact" and address is not None:
                        await scoped(EmergencyDisclosure, tenant_id).insert(
                            EmergencyDisclosure(
                                tenant=tenant_id,
                                incident=alert["incident"],
                                at=now,
                                recipient=label[:120],
                                categories="name of the person; that an emergency was raised",
                                basis=EMERGENCY_BASIS,
                            )
                        )
                elif address is None:
                    await (
                        scoped(Alert, tenant_id)
                        .update(
                            {Alert.status: "failed", Alert.last_error: "recipient has no address"}
                        )
                        .where(Alert.id == alert["id"])
                    )
                    await evidence.append(
                        tenant_id,
                        str(alert["incident"]),
                        "alert_failed",
                        {"to": label, "reason": "no address to send to"},
                        at=now,
                    )
                else:
                    reason = ", ".join(failures) or "no channel reaches this recipient"
                    await (
                        scoped(Alert, tenant_id)
                        .update(
                            {
                                Alert.next_try_at: now + backoff(int(alert["attempts"])),
                                Alert.last_error: reason[:300],
                            }
                        )
                        .where(Alert.id == alert["id"])
                    )
                    await evidence.append(
                        tenant_id,
                        str(alert["incident"]),
                        "alert_failed",
                        {"to": label, "reason": reason, "will_retry": True},
                        at=now,
                    )
            return
        except evidence.ChainMoved:
            if attempt == 2:
                raise
