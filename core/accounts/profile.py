"""A person's own data: name, address book, export and deletion.

Values are sealed per field (``core.privacy``). The owner sees their own values; the export
is recorded in the read log like any other clear read.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.accounts.service import AccountError, normalize_phone, now_utc, security_event
from core.accounts.tables import Address, ApiToken, OneTimeCode, Session, User
from core.db import write_transaction
from core.dispatch.schemas import Geocoder, Place
from core.privacy import service as privacy
from core.privacy.masking import mask_email, mask_phone
from core.privacy.tables import PersonalDataRead
from core.tenancy.scoped import scoped, within_tenant
from core.tenancy.tables import TenantRow

log = logging.getLogger("doorstep.accounts")

NAME_MAX = 40
LABEL_MAX = 20
ADDRESS_MIN = 5
ADDRESS_MAX = 200
EXPORT_FORMAT = "doorstep.personal-data/1"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PROVINCE = re.compile(r"^(?:中国)?[\u4e00-\u9fff]{2,3}(?:省|自治区)")
_CITY = re.compile(r"^(?:北京|上海|天津|重庆)市?|^[\u4e00-\u9fff]{2,3}市")
_DISTRICT = re.compile(r"^([\u4e00-\u9fff]{1,4}?(?:新区|(?<![小社园校景])区|县))")
"""A district or county; not a residential compound (小区), community (社区) or campus."""


class NotFound(Exception):
    """No such object for this person on this tenant (pages answer 404)."""


# --- the account itself -----------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """What the account page shows its owner: numbers masked, the name as typed."""

    id: str
    kind: str
    roles: tuple[str, ...]
    phone: str
    """Masked, ``138****1234``; empty for staff without a number."""
    email: str
    """Masked, ``a***@example.com``."""
    name: str
    consent_version: str
    created_at: datetime


async def _user_row(user_id: str, tenant_id: Any, operators: bool = False) -> dict[str, Any]:
    """The live account on this tenant (with ``operators``, an agency operator's too)."""
    owner = (
        (User.tenant == tenant_id) | User.tenant.is_null()
        if operators
        else User.tenant == tenant_id
    )
    row = (
        await User.select()
        .where((User.id == parse_id(user_id)) & owner & User.deleted_at.is_null())
        .first()
    )
    if row is None:
        raise NotFound()
    return row


def _open(row: dict[str, Any], column: str, field: str) -> str:
    value = row[column]
    return privacy.unseal(value, field=field, tenant_id=row["tenant"]) if value else ""


@within_tenant
async def profile(user_id: str, tenant_id: Any) -> Profile:
    row = await _user_row(user_id, tenant_id, operators=True)
    phone = _open(row, "phone_enc", "user.phone")
    email = _open(row, "email_enc", "user.email")
    return Profile(
        id=str(row["id"]),
        kind=row["kind"],
        roles=tuple(r for r in row["roles"].split(",") if r),
        phone=mask_phone(phone) if phone else "",
        email=mask_email(email) if email else "",
        name=_open(row, "name_enc", "user.name"),
        consent_version=row["consent_version"],
        created_at=row["created_at"],
    )


def clean_name(raw: str) -> str:
    name = " ".join(raw.split())
    if len(name) > NAME_MAX:
        raise AccountError("name", f"use at most {NAME_MAX} characters")
    if _CONTROL.search(name):
        raise AccountError("name", "contains characters that are not allowed")
    return name


@within_tenant
async def update_name(user_id: str, tenant_id: Any, raw_name: str) -> None:
    """Set (or, with an empty name, clear) the account's name."""
    name = clean_name(raw_name)
    await _user_row(user_id, tenant_id)
    sealed = privacy.seal(name, field="user.name", tenant_id=tenant_id) if name else None
    async with write_transaction():
        await User.update({User.name_enc: sealed}).where(
            (User.id == parse_id(user_id)) & (User.tenant == tenant_id)
        )


@within_tenant
async def ensure_customer(tenant_id: Any, raw_phone: str, name: str = "") -> str:
    """The customer with this number, created if new (demo data, agency imports)."""
    phone = normalize_phone(raw_phone)
    phone_idx = privacy.lookup_key(phone, purpose="phone", tenant_id=tenant_id)
    name = clean_name(name)
    async with write_transaction():
        found = (
            await User.select(User.id)
            .where((User.tenant == tenant_id) & (User.phone_idx == phone_idx))
            .first()
        )
        if found is not None:
            return str(found["id"])
        user = User(
            tenant=tenant_id,
            kind="customer",
            phone_enc=privacy.seal(phone, field="user.phone", tenant_id=tenant_id),
            phone_idx=phone_idx,
            name_enc=privacy.seal(name, field="user.name", tenant_id=tenant_id) if name else None,
        )
        await user.save()
    return str(user.id)


# --- the address book ------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressView:
    """An address as its owner sees it."""

    id: str
    label: str
    text: str
    district: str
    located: bool
    """False when no geocoder knew the address (it is saved without a point)."""
    is_default: bool


def district_of(text: str) -> str:
    """The district named in a Chinese address (``上海市浦东新区…`` -> ``浦东新区``), or ""."""
    rest = "".join(text.split())
    rest = _PROVINCE.sub("", rest, count=1)
    rest = _CITY.sub("", rest, count=1)
    found = _DISTRICT.match(rest)
    return found.group(1) if found else ""


async def locate(geocoders: Sequence[Geocoder], text: str, city: str = "") -> Place | None:
    """Ask each geocoder in turn; the first that knows the address answers."""
    for geocoder in geocoders:
        try:
            place = await geocoder.locate(text, city)
        except Exception:  # one broken geocoder must not stop the others or the save
            log.warning("geocoder %s failed", geocoder.identifier or type(geocoder).__name__)
            continue
        if place is not None:
            return place
    return None


def _clean_address(label: str, text: str) -> tuple[str, str]:
    label = " ".join(label.split())
    text = " ".join(text.split())
    if not label:
        raise AccountError("label", "give the address a name, such as 家 or 公司")
    if len(label) > LABEL_MAX:
        raise AccountError("label", f"use at most {LABEL_MAX} characters")
    if len(text) < ADDRESS_MIN:
        raise AccountError("address", "write the full address: district, street, number, flat")
    if len(text) > ADDRESS_MAX:
        raise AccountError("address", f"use at most {ADDRESS_MAX} characters")
    if _CONTROL.search(label + text):
        raise AccountError("address", "contains characters that are not allowed")
    return label, text


async def _sealed_address(
    tenant_id: Any, text: str, geocoders: Sequence[Geocoder]
) -> tuple[dict[Any, Any], bool]:
    place = await locate(geocoders, text)
    point = f"{place.lat:.6f},{place.lng:.6f}" if place else None
    values = {
        Address.text_enc: privacy.seal(text, field="address.text", tenant_id=tenant_id),
        Address.point_enc: (
            privacy.seal(point, field="address.point", tenant_id=tenant_id) if point else None
        ),
        Address.district: ((place.district if place else "") or district_of(text))[:60],
    }
    return values, place is not None


@within_tenant
async def addresses(user_id: str, tenant_id: Any) -> list[AddressView]:
    """The owner's addresses, the default first, then oldest first."""
    rows = (
        await Address.select()
        .where((Address.user == parse_id(user_id)) & (Address.tenant == tenant_id))
        .order_by(Address.created_at)
    )
    views = [
        AddressView(
            id=str(row["id"]),
            label=row["label"],
            text=privacy.unseal(row["text_enc"], field="address.text", tenant_id=tenant_id),
            district=row["district"],
            located=row["point_enc"] is not None,
            is_default=row["is_default"],
        )
        for row in rows
    ]
    return sorted(views, key=lambda view: not view.is_default)


@within_tenant
async def address(user_id: str, tenant_id: Any, address_id: str) -> AddressView:
    for view in await addresses(user_id, tenant_id):
        if view.id == str(parse_id(address_id)):
            return view
    raise NotFound()


@within_tenant
async def add_address(
    user_id: str,
    tenant_id: Any,
    label: str,
    text: str,
    geocoders: Sequence[Geocoder] = (),
    make_default: bool = False,
) -> AddressView:
    """Save an address; the first one is the default. Unknown to every geocoder: no point."""
    label, text = _clean_address(label, text)
    await _user_row(user_id, tenant_id)
    values, located = await _sealed_address(tenant_id, text, geocoders)
    owner = parse_id(user_id)
    async with write_transaction():
        has_any = await Address.exists().where(
            (Address.user == owner) & (Address.tenant == tenant_id)
        )
        is_default = make_default or not has_any
        if is_default:
            await _clear_default(owner, tenant_id)
        row = Address(
            tenant=tenant_id,
            user=owner,
            label=label,
            text_enc=values[Address.text_enc],
            point_enc=values[Address.point_enc],
            district=values[Address.district],
            is_default=is_default,
        )
        await row.save()
    return AddressView(
        id=str(row.id),
        label=label,
        text=text,
        district=values[Address.district],
        located=located,
        is_default=is_default,
    )


@within_tenant
async def update_address(
    user_id: str,
    tenant_id: Any,
    address_id: str,
    label: str,
    text: str,
    geocoders: Sequence[Geocoder] = (),
    make_default: bool = False,
) -> AddressView:
    label, text = _clean_address(label, text)
    current = await address(user_id, tenant_id, address_id)
    values, located = await _sealed_address(tenant_id, text, geocoders)
    owner = parse_id(user_id)
    is_default = current.is_default or make_default
    async with write_transaction():
        if is_default and not current.is_default:
            await _clear_default(owner, tenant_id)
        await Address.update(
            {**values, Address.label: label, Address.is_default: is_default}
        ).where(_owned(owner, tenant_id, current.id))
    return AddressView(
        id=current.id,
        label=label,
        text=text,
        district=values[Address.district],
        located=located,
        is_default=is_default,
    )


@within_tenant
async def delete_address(user_id: str, tenant_id: Any, address_id: str) -> None:
    """Remove an address; if it was the default, the oldest remaining one becomes default."""
    current = await address(user_id, tenant_id, address_id)
    owner = parse_id(user_id)
    async with write_transaction():
        await Address.delete().where(_owned(owner, tenant_id, current.id))
        if current.is_default:
            oldest = (
                await Address.select(Address.id)
                .where((Address.user == owner) & (Address.tenant == tenant_id))
                .order_by(Address.created_at)
                .first()
            )
            if oldest is not None:
                await Address.update({Address.is_default: True}).where(Address.id == oldest["id"])


@within_tenant
async def set_default_address(user_id: str, tenant_id: Any, address_id: str) -> None:
    current = await address(user_id, tenant_id, address_id)
    owner = parse_id(user_id)
    async with write_transaction():
        await _clear_default(owner, tenant_id)
        await Address.update({Address.is_default: True}).where(_owned(owner, tenant_id, current.id))


async def _clear_default(owner: uuid.UUID, tenant_id: Any) -> None:
    await Address.update({Address.is_default: False}).where(
        (Address.user == owner) & (Address.tenant == tenant_id) & (Address.is_default == True)  # noqa: E712
    )


def _owned(owner: uuid.UUID, tenant_id: Any, address_id: str) -> Any:
    return (
        (Address.id == parse_id(address_id))
        & (Address.user == owner)
        & (Address.tenant == tenant_id)
    )


def parse_id(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


# --- export and deletion ---------------------------------------------------------------------


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@within_tenant
async def export_data(user_id: str, tenant_id: Any, now: datetime | None = None) -> dict[str, Any]:
    """Everything the platform holds about the person, in clear, for the person.

    Every clear value goes through ``privacy.reveal`` with the person as reader, so the export
    itself shows up in the read log.
    """
    now = now or now_utc()
    row = await _user_row(user_id, tenant_id)
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
async def delete_account(user_id: str, tenant_id: Any, now: datetime | None = None) -> None:
    """Anonymise the account: personal values and blind indexes gone, addresses removed, every
    session and token ended. The row stays under its random id, so records that must be kept
    (payments, ledger) still point at a pseudonymous account."""
    now = now or now_utc()
    row = await _user_row(user_id, tenant_id)
    owner = row["id"]
    async with write_transaction():
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
    await security_event(tenant_id, "account_deleted", f"user {owner} deleted their account")


def flatten(results: Iterable[Iterable[Geocoder] | None]) -> list[Geocoder]:
    """A hook's list of lists as one list, in the order the hook returned them."""
    return [item for result in results for item in (result or [])]
