"""Provider rules: onboarding a profile, skills, service area, working hours, public view.

Eligibility for an item (checks and certificates) belongs to ``core.verification.eligibility``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from core.accounts.tables import User
from core.db import write_transaction
from core.matching.version import bump_matching_version
from core.privacy import service as privacy
from core.providers.tables import ProviderProfile, ProviderSkill
from core.tenancy.scoped import within_tenant

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
LANGUAGES = {"zh": "普通话", "yue": "粤语", "en": "English", "wuu": "上海话", "hak": "客家话"}


class ProfileError(Exception):
    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True)
class ProfileInput:
    name: str
    gender: str
    birth_year: int
    years_experience: int
    languages: list[str]
    bio: str
    area_lat: float | None = None
    area_lng: float | None = None
    area_radius_km: float = 0.0
    area_districts: tuple[str, ...] = ()


def check_profile(data: ProfileInput, today: date) -> list[ProfileError]:
    problems = []
    name = data.name.strip()
    if not 2 <= len(name) <= 30:
        problems.append(ProfileError("name", "give your real name (2 to 30 characters)"))
    if data.gender not in {"female", "male"}:
        problems.append(ProfileError("gender", "choose female or male"))
    age = today.year - data.birth_year
    if not 18 <= age <= 75:
        problems.append(ProfileError("birth_year", "providers are between 18 and 75 years old"))
    if not 0 <= data.years_experience <= 60 or data.years_experience > age - 14:
        problems.append(ProfileError("years_experience", "not a possible number of years"))
    unknown = [code for code in data.languages if code not in LANGUAGES]
    if unknown or not data.languages:
        problems.append(ProfileError("languages", "choose at least one listed language"))
    if len(data.bio) > 500:
        problems.append(ProfileError("bio", "at most 500 characters"))
    has_circle = data.area_lat is not None and data.area_lng is not None
    if has_circle:
        if not (-90 <= data.area_lat <= 90 and -180 <= data.area_lng <= 180):  # type: ignore[operator]
            problems.append(ProfileError("area", "the centre is not a place on Earth"))
        if not 0.5 <= data.area_radius_km <= 50:
            problems.append(ProfileError("area_radius_km", "between 0.5 and 50 km"))
    if not has_circle and not data.area_districts:
        problems.append(ProfileError("area", "give a centre and radius, or districts you serve"))
    return problems


@within_tenant
async def start_onboarding(user_id: str, tenant_id: Any) -> str:
    """Turn a signed-in account into a provider in onboarding. Idempotent; returns profile id."""
    async with write_transaction():
        existing = (
            await ProviderProfile.select(ProviderProfile.id)
            .where((ProviderProfile.user == user_id) & (ProviderProfile.tenant == tenant_id))
            .first()
        )
        if existing:
            return str(existing["id"])
        user = (
            await User.select(User.kind)
            .where((User.id == user_id) & (User.tenant == tenant_id))
            .first()
        )
        if user is None or user["kind"] not in {"customer", "provider"}:
            # Another tenant's account, or staff: never a provider of this tenant.
            raise ProfileError("user", "this account cannot become a provider here")
        await User.update({User.kind: "provider"}).where(
            (User.id == user_id) & (User.tenant == tenant_id)
        )
        profile = ProviderProfile(tenant=tenant_id, user=user_id)
        await profile.save()
        await bump_matching_version(tenant_id, profile.id)
    return str(profile.id)


@within_tenant
async def save_profile(
    profile_id: str, tenant_id: Any, data: ProfileInput, today: date | None = None
) -> None:
    """Validate and save; raises the first ProfileError naming the field (nothing saved)."""
    problems = check_profile(data, today or datetime.now(UTC).date())
    if problems:
        raise problems[0]
    async with write_transaction():
        await ProviderProfile.update(
            {
                ProviderProfile.name_enc: privacy.seal(
                    data.name.strip(), field="provider.name", tenant_id=tenant_id
                ),
                ProviderProfile.gender: data.gender,
                ProviderProfile.birth_year: data.birth_year,
                ProviderProfile.years_experience: data.years_experience,
                ProviderProfile.languages: ",".join(data.languages),
                ProviderProfile.bio: data.bio.strip(),
                ProviderProfile.area_lat: data.area_lat,
                ProviderProfile.area_lng: data.area_lng,
                ProviderProfile.area_radius_km: data.area_radius_km,
                ProviderProfile.area_districts: ",".join(data.area_districts),
            }
        ).where((ProviderProfile.id == profile_id) & (ProviderProfile.tenant == tenant_id))
        await bump_matching_version(tenant_id, profile_id)


@within_tenant
async def set_skills(
    profile_id: str, tenant_id: Any, item_refs: list[str], known_refs: set[str]
) -> None:
    """Replace the provider's skills with ``item_refs`` (each must be a catalogue item)."""
    unknown = sorted(set(item_refs) - known_refs)
    if unknown:
        raise ProfileError("skills", f"not in this catalogue: {', '.join(unknown)}")
    if not item_refs:
        raise ProfileError("skills", "choose at least one service you do")
    async with write_transaction():
        current = {
            row["item_ref"]: row
            for row in await ProviderSkill.select().where(
                (ProviderSkill.provider == profile_id) & (ProviderSkill.tenant == tenant_id)
            )
        }
        gone = [ref for ref in current if ref not in item_refs]
        if gone:
            await ProviderSkill.delete().where(
                (ProviderSkill.provider == profile_id) & ProviderSkill.item_ref.is_in(gone)
            )
        new = [ref for ref in item_refs if ref not in current]
        if new:
            await ProviderSkill.insert(
                *[ProviderSkill(tenant=tenant_id, provider=profile_id, item_ref=ref) for ref in new]
            )
        if gone or new:
            await bump_matching_version(tenant_id, profile_id)


def check_hours(hours: dict[str, list[str]]) -> dict[str, list[str]]:
    """``{"mon": ["08:00", "18:00"]}``; raises ProfileError naming the day."""
    clean = {}
    for day, span in hours.items():
        if day not in WEEKDAYS:
            raise ProfileError(f"working_hours.{day}", "not a weekday")
        if not span:
            continue
        if len(span) != 2 or not all(HHMM.match(s) for s in span) or span[0] >= span[1]:
            raise ProfileError(f"working_hours.{day}", "give a start before the end, as HH:MM")
        clean[day] = span
    if not clean:
        raise ProfileError("working_hours", "work at least one day a week")
    return clean


@within_tenant
async def save_availability(
    profile_id: str, tenant_id: Any, hours: dict[str, list[str]], days_off: list[str]
) -> None:
    clean = check_hours(hours)
    off = []
    for value in days_off:
        try:
            off.append(date.fromisoformat(value).isoformat())
        except ValueError:
            raise ProfileError("days_off", f"{value!r} is not a date") from None
    async with write_transaction():
        await ProviderProfile.update(
            {ProviderProfile.working_hours: clean, ProviderProfile.days_off: sorted(set(off))}
        ).where((ProviderProfile.id == profile_id) & (ProviderProfile.tenant == tenant_id))
        await bump_matching_version(tenant_id, profile_id)


def works_at(profile: dict[str, Any], local: datetime) -> bool:
    """Whether a local (tenant time zone) moment is inside the provider's working hours."""
    hours = parsed_json(profile["working_hours"], {})
    if local.date().isoformat() in parsed_json(profile["days_off"], []):
        return False
    span = hours.get(WEEKDAYS[local.weekday()])
    if not span:
        return False
    return time.fromisoformat(span[0]) <= local.time() < time.fromisoformat(span[1])


def parsed_json(value: Any, default: Any) -> Any:
    """A JSON column as Python (SQLite and some drivers give text; parsed values pass)."""
    import json

    if isinstance(value, str):
        return json.loads(value) if value else default
    return value if value is not None else default


def public_name(full_name: str, style: str, gender: str = "") -> str:
    """The name the public sees: the full name, or the surname and a respectful form."""
    full_name = full_name.strip()
    if style == "full" or not full_name:
        return full_name
    if any("\u4e00" <= ch <= "\u9fff" for ch in full_name):
        return f"{full_name[0]}{'阿姨' if gender == 'female' else '师傅'}"
    parts = full_name.split()
    return f"{parts[0]} {parts[-1][0]}." if len(parts) > 1 else f"{full_name[0]}."


def age_band(birth_year: int | None, today: date) -> str:
    """``30-39`` style band: the public never sees the exact age."""
    if birth_year is None:
        return ""
    decade = (today.year - birth_year) // 10 * 10
    return f"{decade}-{decade + 9}"


@within_tenant
async def set_status(profile_id: str, tenant_id: Any, status: str, reason: str = "") -> None:
    allowed = {"onboarding", "pending_review", "active", "suspended", "rejected"}
    if status not in allowed:
        raise ProfileError("status", f"unknown status {status!r}")
    values: dict[Any, Any] = {
        ProviderProfile.status: status,
        ProviderProfile.status_reason: reason[:300],
    }
    if status == "active":
        values[ProviderProfile.activated_at] = datetime.now(UTC)
    async with write_transaction():
        await ProviderProfile.update(values).where(
            (ProviderProfile.id == profile_id) & (ProviderProfile.tenant == tenant_id)
        )
        await bump_matching_version(tenant_id, profile_id)
