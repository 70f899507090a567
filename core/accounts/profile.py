"""A person's own data: their name and their address book (家, 公司...).

Values are sealed per field (``core.privacy``); the owner sees their own values. Export and
deletion are in ``core.accounts.rights``.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.accounts.service import AccountError, normalize_phone
from core.accounts.tables import Address, User
from core.db import write_transaction
from core.dispatch.schemas import Geocoder, Place
from core.privacy import service as privacy
from core.privacy.masking import mask_email, mask_phone
from core.tenancy.scoped import within_tenant

log = logging.getLogger("doorstep.accounts")

NAME_MAX = 40
LABEL_MAX = 20
ADDRESS_MIN = 5
ADDRESS_MAX = 200
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


async def live_account(user_id: str, tenant_id: Any, operators: bool = False) -> dict[str, Any]:
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
    row = await live_account(user_id, tenant_id, operators=True)
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
    await live_account(user_id, tenant_id)
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
    await live_account(user_id, tenant_id)
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
    """Change an address of one's own; someone else's is NotFound, whatever the form says."""
    current = await address(user_id, tenant_id, address_id)
    label, text = _clean_address(label, text)
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


def flatten(results: Iterable[Iterable[Geocoder] | None]) -> list[Geocoder]:
    """A hook's list of lists as one list, in the order the hook returned them."""
    return [item for result in results for item in (result or [])]
