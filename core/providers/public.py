"""A provider as the public sees them: derived from the profile, never the personal data.

The display name follows the tenant's policy, the age is a band, the service area is districts
or a radius (never the centre point), checks are badges (never their numbers) and media are
signed, expiring links. Only active providers have a public profile.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import msgspec

from core.catalog.model import TenantCatalog
from core.privacy import service as privacy
from core.providers.service import LANGUAGES, age_band, public_name
from core.providers.storage import PUBLIC_TTL, signed_url
from core.providers.tables import ProviderMedia, ProviderProfile
from core.tenancy.model import Tenant
from core.tenancy.scoped import within_tenant
from core.verification.certificates import certificate_label
from core.verification.eligibility import check_ok, load_checks
from core.verification.service import POLICE_FILING, local_date
from core.verification.status import certificate_state, tenant_courses

LocalizedText = dict[str, str]


class Labelled(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    code: str
    label: LocalizedText


class PublicCertificate(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    kind: str
    label: LocalizedText
    valid_until: date | None
    """None: the certificate does not expire."""


class Rating(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    average: float | None
    """Stars out of 5, one decimal; None before the first review."""
    count: int


class Review(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    stars: int
    text: str
    written_at: datetime


class PublicProfile(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    id: str
    display_name: str
    age_band: str
    """``30-39``: the exact age is never shown."""
    years_experience: int
    languages: list[Labelled]
    bio: str
    districts: list[str]
    radius_km: float
    avatar_url: str | None
    photo_urls: list[str]
    video_url: str | None
    badges: list[Labelled]
    """One per passed check: ``identity``, ``phone``, ``police_filing``,
    ``training:<course>``, ``certificate:<type>``. Never a number."""
    certificates: list[PublicCertificate]
    skills: list[Labelled]
    rating: Rating
    recent_reviews: list[Review]
    """The latest reviews of completed bookings (the customer is never named)."""
    jobs_done: int


LANGUAGE_EN = {"zh": "Mandarin", "yue": "Cantonese", "en": "English", "wuu": "Shanghainese",
               "hak": "Hakka"}  # fmt: skip
BADGE_LABELS: dict[str, LocalizedText] = {
    "identity": {"zh_CN": "实名认证", "en": "Identity verified"},
    "phone": {"zh_CN": "手机已验证", "en": "Phone verified"},
    POLICE_FILING: {"zh_CN": "公安备案", "en": "Police filing"},
}


def badge_label(code: str, courses: dict[str, LocalizedText]) -> LocalizedText:
    kind, _, rest = code.partition(":")
    if kind == "certificate":
        return certificate_label(rest)
    if kind == "training":
        return courses.get(rest, {"zh_CN": rest, "en": rest})
    return BADGE_LABELS.get(code, {"zh_CN": code, "en": code})


def _id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def recent_reviews(tenant_id: Any, profile_id: uuid.UUID, limit: int = 5) -> list[Review]:
    from core.booking.tables import Review as ReviewRow

    rows = (
        await ReviewRow.select(ReviewRow.rating, ReviewRow.text, ReviewRow.created_at)
        .where((ReviewRow.tenant == tenant_id) & (ReviewRow.provider == profile_id))
        .order_by(ReviewRow.created_at, ascending=False)
        .limit(limit)
    )
    return [
        Review(stars=int(r["rating"]), text=r["text"], written_at=r["created_at"]) for r in rows
    ]


@within_tenant
async def public_profile(
    plugins: Any,
    tenant: Tenant,
    tenant_id: Any,
    catalog: TenantCatalog,
    profile_id: str,
    now: datetime,
) -> PublicProfile | None:
    """The public view of an active provider; None for anyone else (unknown, another
    tenant's, not active)."""
    wanted = _id(profile_id)
    if wanted is None:
        return None
    row = (
        await ProviderProfile.select()
        .where(
            (ProviderProfile.id == wanted)
            & (ProviderProfile.tenant == tenant_id)
            & (ProviderProfile.status == "active")
        )
        .first()
    )
    if row is None or row["name_enc"] is None:
        return None
    state = await load_checks(tenant_id, str(wanted))
    media = (
        await ProviderMedia.select(ProviderMedia.kind, ProviderMedia.storage_key)
        .where(
            (ProviderMedia.tenant == tenant_id)
            & (ProviderMedia.provider == wanted)
            & ProviderMedia.kind.is_in(["avatar", "photo", "video"])
        )
        .order_by(ProviderMedia.created_at)
    )

    def urls(kind: str) -> list[str]:
        return [
            signed_url(tenant_id, m["storage_key"], now, PUBLIC_TTL)
            for m in media
            if m["kind"] == kind
        ]

    today = local_date(tenant, now)
    courses = {c.key: c.title for c in tenant_courses(plugins, tenant)}
    badges = []
    if all(check_ok(state.checks.get(k), now) for k in ("id_number", "real_name", "face_match")):
        badges.append("identity")
    if check_ok(state.checks.get("phone"), now):
        badges.append("phone")
    if check_ok(state.checks.get(POLICE_FILING), now):
        badges.append(POLICE_FILING)
    badges += [f"training:{key}" for key in sorted(state.courses_passed) if key in courses]
    certificates = []
    for kind in sorted({c["kind"] for c in state.certificates}):
        found = certificate_state(state.certificates, kind, today)
        if found.status == "passed":
            badges.append(f"certificate:{kind}")
            certificates.append(
                PublicCertificate(
                    kind=kind, label=certificate_label(kind), valid_until=found.valid_until
                )
            )
    name = privacy.unseal(row["name_enc"], field="provider.name", tenant_id=tenant_id)
    skills = [
        Labelled(code=ref, label=item.label)
        for ref in sorted(state.skills)
        if not state.skills[ref]["suspended"] and (item := catalog.item(ref)) is not None
    ]
    avatar, video = urls("avatar"), urls("video")
    count = int(row["rating_count"])
    return PublicProfile(
        id=str(wanted),
        display_name=public_name(
            name, tenant.config.policies.providers.display_name, row["gender"]
        ),
        age_band=age_band(row["birth_year"], today),
        years_experience=int(row["years_experience"]),
        languages=[
            Labelled(code=code, label={"zh_CN": LANGUAGES[code], "en": LANGUAGE_EN[code]})
            for code in filter(None, row["languages"].split(","))
            if code in LANGUAGES
        ],
        bio=row["bio"],
        districts=[d for d in row["area_districts"].split(",") if d],
        radius_km=float(row["area_radius_km"] or 0),
        avatar_url=avatar[0] if avatar else None,
        photo_urls=urls("photo"),
        video_url=video[0] if video else None,
        badges=[Labelled(code=b, label=badge_label(b, courses)) for b in badges],
        certificates=certificates,
        skills=skills,
        rating=Rating(average=round(row["rating_sum"] / count, 1) if count else None, count=count),
        recent_reviews=await recent_reviews(tenant_id, wanted),
        jobs_done=int(row["jobs_done"]),
    )
