"""What each step of the onboarding wizard shows: the saved values (or the ones just posted
back with their errors), the choices, and the progress across every step."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Response

from core.privacy import service as privacy
from core.privacy.masking import mask_id_number
from core.providers import storage
from core.providers.service import LANGUAGES, WEEKDAYS, parsed_json
from core.providers.storage import PRIVATE_TTL, signed_url
from core.providers.web import JOIN, ProviderRequest, go, verifiers_of
from core.verification.certificates import certificate_label
from core.verification.tables import IdentityRecord

DEFAULT_HOURS = {day: ["08:00", "18:00"] for day in WEEKDAYS[:6]}
HALF_HOURS = [f"{h:02d}:{m:02d}" for h in range(5, 24) for m in (0, 30)]


def profile_values(row: dict[str, Any], tenant_id: str) -> dict[str, Any]:
    """The saved profile as the form shows it (the provider's own name, decrypted for them)."""
    name = (
        privacy.unseal(row["name_enc"], field="provider.name", tenant_id=tenant_id)
        if row["name_enc"]
        else ""
    )
    has_centre = row["area_lat"] is not None
    return {
        "name": name,
        "gender": row["gender"],
        "birth_year": row["birth_year"] or "",
        "years_experience": row["years_experience"] if row["name_enc"] else "",
        "languages": [c for c in row["languages"].split(",") if c] or ["zh"],
        "bio": row["bio"],
        "area_mode": "districts" if row["area_districts"] and not has_centre else "radius",
        "area_radius_km": row["area_radius_km"] or 5,
        "area_districts": "、".join(d for d in row["area_districts"].split(",") if d),
        "has_centre": has_centre,
    }


async def show(
    page: ProviderRequest,
    step: str,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
    extra: dict[str, Any] | None = None,
) -> Response[Any]:
    """Render one step of the wizard, with the progress bar across every step: the saved
    values, or ``values`` just posted with ``errors`` (field -> reason)."""
    if step not in {s.key for s in page.state.steps}:
        return go(f"{JOIN}/{page.state.next_step()}")
    context: dict[str, Any] = {"step": step, "errors": errors or {}, **(extra or {})}
    saved = page.request.query_params.get("saved", "")
    context["saved"] = saved if saved.isalpha() else ""
    if step == "profile":
        context["values"] = values or profile_values(page.state.profile, page.tenant_id)
        context["languages"] = LANGUAGES
    elif step == "skills":
        app_context = page.request.app.state.doorstep
        categories = page.catalog.categories
        context["verticals"] = [
            (app_context.plugins.verticals[slug], [c for c in categories if c.vertical == slug])
            for slug in page.tenant.enabled_verticals
        ]
        context["chosen"] = (values or {}).get("skills", page.state.skills)
    elif step == "hours":
        saved_hours = parsed_json(page.state.profile["working_hours"], {})
        context["hours"] = (values or {}).get("hours") or saved_hours or DEFAULT_HOURS
        context["days_off"] = (values or {}).get("days_off") or parsed_json(
            page.state.profile["days_off"], []
        )
        context["weekdays"] = WEEKDAYS
        # A saved time off the half-hour grid stays choosable.
        saved_times = {t for span in context["hours"].values() for t in span if t}
        context["times"] = sorted(set(HALF_HOURS) | saved_times)
    elif step == "media":
        now = datetime.now(UTC)
        context["media"] = [
            {**m, "url": storage.signed_url(page.tenant_id, m["storage_key"], now)}
            for m in page.state.media
            if m["kind"] != "certificate"
        ]
        context["photo_limit"] = storage.PHOTO_LIMIT
    else:
        return await _show_check_step(page, step, context, values, status_code)
    return page.render(f"providers/join_{step}.html", context, status_code)


async def _show_check_step(
    page: ProviderRequest,
    step: str,
    context: dict[str, Any],
    values: dict[str, Any] | None,
    status_code: int,
) -> Response[Any]:
    state = page.state
    context["values"] = values or {}
    if step == "identity":
        verifiers = verifiers_of(page.request, page.tenant)
        context["demo_vendor"] = bool(verifiers) and verifiers[0].identifier == "demo"
        record = (
            await IdentityRecord.select(IdentityRecord.number_enc)
            .where(
                (IdentityRecord.tenant == page.tenant_id)
                & (IdentityRecord.provider == page.profile_id)
            )
            .first()
        )
        if record is not None:
            number = privacy.unseal(
                record["number_enc"], field="identity.number", tenant_id=page.tenant_id
            )
            context["masked_id"] = mask_id_number(number)
    elif step == "certificates":
        now = datetime.now(UTC)
        context["certificates"] = [
            {
                "code": code,
                "label": certificate_label(code),
                "current": state.certificates.get(code),
                "image_url": _image_url(page, state.certificates.get(code), now),
            }
            for code in state.requirements.certificates
        ]
    elif step == "police":
        context["filing"] = state.police_filing
        context["police_check"] = state.police_check
    elif step == "training":
        context["courses"] = state.requirements.courses
    return page.render(f"providers/join_{step}.html", context, status_code)


def _image_url(page: ProviderRequest, cert: dict[str, Any] | None, now: datetime) -> str | None:
    if cert is None or cert["image"] is None:
        return None
    key = next((m["storage_key"] for m in page.state.media if m["id"] == cert["image"]), None)
    return signed_url(page.tenant_id, key, now, PRIVATE_TTL) if key else None
