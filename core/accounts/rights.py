"""The person's rights over their data: a full export, and deletion (anonymisation).

Every clear value in the export goes through ``privacy.reveal`` with the person as reader, so
the export itself is in the read log. Deletion keeps the row under its random id for the
records the law requires (payments, ledger), with every personal value gone: the person's
bookings keep their amounts, dates and district, not the address or the note; a provider's
profile is erased too (``core.providers.erasure``). An account with a booking (or a job)
still open cannot be deleted until it is done or cancelled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.accounts.profile import live_account
from core.accounts.service import AccountError, now_utc, security_event
from core.accounts.tables import Address, ApiToken, OneTimeCode, Session, User
from core.db import write_transaction
from core.privacy import service as privacy
from core.privacy.tables import PersonalDataRead
from core.tenancy.scoped import scoped, within_tenant
from core.tenancy.tables import TenantRow

EXPORT_FORMAT = "doorstep.personal-data/1"
SETTLED = ("completed", "closed", "cancelled", "expired", "no_show")
"""Booking states in which nothing more happens at the person's door."""


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@within_tenant
async def export_data(user_id: str, tenant_id: Any, now: datetime | None = None) -> dict[str, Any]:
    """Everything the platform holds about the person, in clear, for the person.

    Every clear value goes through ``privacy.reveal`` with the person as reader, so the export
    itself shows up in the read log.
    """
    now = now or now_utc()
    row = await live_account(user_id, tenant_id)
    owner = row["id"]
    reader = privacy.Reader(actor_id=owner, role="self", purpose="personal data export")
    slug = await TenantRow.select(TenantRow.slug).where(TenantRow.id == tenant_id).first()
    earlier_reads = (
        await PersonalDataRead.select()
        .where((PersonalDataRead.subject_id == owner) & (PersonalDataRead.tenant == tenant_id))
        .order_by(PersonalDataRead.at)
    )

    async def reveal(stored: str | None, field: str) -> str | None:
        if not stored:
            return None
        return await privacy.reveal(
            stored, field=field, tenant_id=tenant_id, subject_id=owner, reader=reader
        )

    address_rows = (
        await Address.select()
        .where((Address.user == owner) & (Address.tenant == tenant_id))
        .order_by(Address.created_at)
    )
    address_list = []
    for each in address_rows:
        point = await reveal(each["point_enc"], "address.point")
        lat, _, lng = (point or "").partition(",")
        address_list.append(
            {
                "id": str(each["id"]),
                "label": each["label"],
                "address": await reveal(each["text_enc"], "address.text"),
                "district": each["district"],
                "point": {"lat": float(lat), "lng": float(lng)} if point else None,
                "isDefault": each["is_default"],
                "createdAt": _when(each["created_at"]),
            }
        )
    booking_list = []
    for each in await _bookings(tenant_id, owner):
        booking_list.append(
            {
                "id": str(each["id"]),
                "status": each["status"],
                "services": [
                    {"item": i.get("item"), "tier": i.get("tier")} for i in each["items"] or []
                ],
                "startsAt": _when(each["starts_at"]),
                "totalFen": each["total_fen"],
                "currency": each["currency"],
                "address": await reveal(each["address_enc"], "booking.address") or None,
                "district": each["district"],
                "note": each["note"] or None,
                "createdAt": _when(each["created_at"]),
            }
        )
    sessions = (
        await scoped(Session, tenant_id)
        .select(Session.created_at, Session.expires_at, Session.ended_at)
        .where(Session.user == owner)
    )
    tokens = (
        await scoped(ApiToken, tenant_id)
        .select(ApiToken.label, ApiToken.created_at, ApiToken.expires_at, ApiToken.revoked_at)
        .where(ApiToken.user == owner)
    )
    return {
        "format": EXPORT_FORMAT,
        "exportedAt": now.isoformat(),
        "tenant": slug["slug"] if slug else None,
        "account": {
            "id": str(owner),
            "kind": row["kind"],
            "roles": [r for r in row["roles"].split(",") if r],
            "phone": await reveal(row["phone_enc"], "user.phone"),
            "email": await reveal(row["email_enc"], "user.email"),
            "name": await reveal(row["name_enc"], "user.name"),
            "locale": row["locale"] or None,
            "consent": {"version": row["consent_version"], "at": _when(row["consent_at"])},
            "createdAt": _when(row["created_at"]),
            "disabledAt": _when(row["disabled_at"]),
        },
        "addresses": address_list,
        "bookings": booking_list,
        "sessions": [
            {
                "createdAt": _when(s["created_at"]),
                "expiresAt": _when(s["expires_at"]),
                "endedAt": _when(s["ended_at"]),
            }
            for s in sessions
        ],
        "apiTokens": [
            {
                "label": t["label"],
                "createdAt": _when(t["created_at"]),
                "expiresAt": _when(t["expires_at"]),
                "revokedAt": _when(t["revoked_at"]),
            }
            for t in tokens
        ],
        "readsOfYourData": [
            {
                "at": _when(r["at"]),
                "byRole": r["actor_role"],
                "field": r["field"],
                "purpose": r["purpose"],
            }
            for r in earlier_reads
        ],
    }


@within_tenant
async def delete_account(
    user_id: str, tenant_id: Any, now: datetime | None = None, store: Any = None
) -> None:
    """Anonymise the account: personal values and blind indexes gone, addresses removed, every
    session and token ended. The row stays under its random id, so records that must be kept
    (payments, ledger) still point at a pseudonymous account."""
    from core.booking.tables import Booking
    from core.providers.erasure import erase_provider, provider_id_of, remove_files

    now = now or now_utc()
    row = await live_account(user_id, tenant_id)
    owner = row["id"]
    theirs = Booking.customer == owner
    provider_id = await provider_id_of(tenant_id, owner)
    if provider_id is not None:
        theirs = theirs | (Booking.provider == provider_id)
    open_bookings = await (
        scoped(Booking, tenant_id).count().where(theirs & Booking.status.not_in(list(SETTLED)))
    )
    if open_bookings:
        raise AccountError(
            "confirm",
            "you have bookings still open: cancel them or wait until they are done, "
            "then delete your account",
        )
    async with write_transaction():
        # matching-version: only settled bookings are left (checked above): none holds a time
        await (
            scoped(Booking, tenant_id)
            .update(
                {
                    Booking.address_enc: privacy.seal(
                        "", field="booking.address", tenant_id=tenant_id
                    ),
                    Booking.point_enc: privacy.seal("", field="booking.point", tenant_id=tenant_id),
                    Booking.note: "",
                }
            )
            .where(Booking.customer == owner)
        )
        files = await erase_provider(tenant_id, owner)
        await (
            scoped(User, tenant_id)
            .update(
                {
                    User.phone_enc: None,
                    User.phone_idx: None,
                    User.email_enc: None,
                    User.email_idx: None,
                    User.name_enc: None,
                    User.password_hash: None,
                    User.roles: "",
                    User.locale: "",
                    User.deleted_at: now,
                }
            )
            .where(User.id == owner)
        )
        await scoped(Address, tenant_id).delete().where(Address.user == owner)
        if row["phone_idx"]:
            await OneTimeCode.delete().where(
                (OneTimeCode.tenant == tenant_id) & (OneTimeCode.phone_idx == row["phone_idx"])
            )
        await (
            scoped(Session, tenant_id)
            .update({Session.ended_at: now})
            .where((Session.user == owner) & Session.ended_at.is_null())
        )
        await (
            scoped(ApiToken, tenant_id)
            .update({ApiToken.revoked_at: now})
            .where((ApiToken.user == owner) & ApiToken.revoked_at.is_null())
        )
    if files and store is not None:
        remove_files(store, tenant_id, files)
    await security_event(tenant_id, "account_deleted", f"user {owner} deleted their account")


async def _bookings(tenant_id: Any, owner: Any) -> list[dict[str, Any]]:
    """The person's bookings as a customer, oldest first."""
    from core.booking.tables import Booking

    return list(
        await scoped(Booking, tenant_id)
        .select(
            Booking.id,
            Booking.status,
            Booking.items,
            Booking.starts_at,
            Booking.total_fen,
            Booking.currency,
            Booking.address_enc,
            Booking.district,
            Booking.note,
            Booking.created_at,
        )
        .where(Booking.customer == owner)
        .order_by(Booking.created_at)
        .output(load_json=True)
    )
