"""Emergency contacts of customers and providers: sealed at rest, shown masked, at most
``MAX_CONTACTS`` each."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from core.db import write_transaction
from core.privacy import service as privacy
from core.privacy.masking import mask_name, mask_phone
from core.safety.service import IncidentError
from core.safety.tables import EmergencyContact
from core.tenancy.scoped import scoped, within_tenant

MAX_CONTACTS = 3
MAINLAND = re.compile(r"1[3-9]\d{9}")


@dataclass(frozen=True)
class ContactView:
    id: str
    name: str
    phone: str
    relation: str
    """Name and phone masked."""


def normalize_phone(value: str) -> str:
    digits = re.sub(r"[\s\-()]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    if not MAINLAND.fullmatch(digits):
        raise IncidentError("phone", "enter a mainland mobile number (11 digits)", 400)
    return f"+86{digits}"


@within_tenant
async def add_contact(
    tenant_id: str,
    user_id: str,
    name: str,
    phone: str,
    relation: str = "",
    *,
    now: datetime | None = None,
) -> str:
    name = name.strip()
    if not name or len(name) > 40:
        raise IncidentError("name", "give a name of at most 40 characters", 400)
    number = normalize_phone(phone)
    async with write_transaction():
        count = (
            await scoped(EmergencyContact, tenant_id)
            .count()
            .where(EmergencyContact.user == user_id)
        )
        if count >= MAX_CONTACTS:
            raise IncidentError("phone", f"at most {MAX_CONTACTS} emergency contacts", 409)
        contact = EmergencyContact(
            tenant=tenant_id,
            user=user_id,
            name_enc=privacy.seal(name, field="safety.contact_name", tenant_id=tenant_id),
            phone_enc=privacy.seal(number, field="safety.contact_phone", tenant_id=tenant_id),
            relation=relation.strip()[:40],
            created_at=now or datetime.now(UTC),
        )
        await scoped(EmergencyContact, tenant_id).insert(contact)
    return str(contact.id)


@within_tenant
async def remove_contact(tenant_id: str, user_id: str, contact_id: str) -> None:
    async with write_transaction():
        gone = (
            await scoped(EmergencyContact, tenant_id)
            .delete()
            .where((EmergencyContact.id == contact_id) & (EmergencyContact.user == user_id))
            .returning(EmergencyContact.id)
        )
    if not gone:
        raise LookupError(contact_id)


@within_tenant
async def list_contacts(tenant_id: str, user_id: str) -> list[ContactView]:
    rows = (
        await scoped(EmergencyContact, tenant_id)
        .select()
        .where(EmergencyContact.user == user_id)
        .order_by(EmergencyContact.created_at)
    )
    return [
        ContactView(
            id=str(r["id"]),
            name=mask_name(
                privacy.unseal(r["name_enc"], field="safety.contact_name", tenant_id=tenant_id)
            ),
            phone=mask_phone(
                privacy.unseal(r["phone_enc"], field="safety.contact_phone", tenant_id=tenant_id)
            ),
            relation=r["relation"],
        )
        for r in rows
    ]
