"""Suspensions: a skill stays suspended while any of its reasons (a lapsed certificate, a spot
check) is unresolved; each reason is added and lifted on its own."""

from __future__ import annotations

from typing import Any

from core.matching.version import bump_matching_version
from core.providers.tables import ProviderSkill


def expired_reason(kind: str) -> str:
    """Why a skill is suspended when a certificate of ``kind`` lapsed: ``expired:<kind>``."""
    return f"expired:{kind}"


def suspension_reasons(value: str) -> list[str]:
    """A skill's ``suspended_reason`` holds every reason, comma-separated: it stays suspended
    until the last one is resolved (two lapsed certificates need two renewals)."""
    return [reason for reason in value.split(",") if reason]


async def suspend_skills(profile_id: Any, item_refs: list[str], reason: str) -> int:
    """Suspend the provider from ``item_refs`` for ``reason`` (inside a write transaction).
    Returns how many skills gained the reason: a reason already recorded is not added twice."""
    if not item_refs:
        return 0
    skills = await ProviderSkill.select(
        ProviderSkill.id, ProviderSkill.suspended_reason, ProviderSkill.tenant
    ).where((ProviderSkill.provider == profile_id) & ProviderSkill.item_ref.is_in(item_refs))
    added = 0
    for skill in skills:
        reasons = suspension_reasons(skill["suspended_reason"])
        if reason in reasons:
            continue
        await ProviderSkill.update(
            {
                ProviderSkill.suspended: True,
                ProviderSkill.suspended_reason: ",".join([*reasons, reason]),
            }
        ).where(ProviderSkill.id == skill["id"])
        await bump_matching_version(skill["tenant"], profile_id)
        added += 1
    return added


async def lift_suspension(profile_id: Any, reason: str) -> int:
    """Remove ``reason`` from the provider's suspended skills (inside a write transaction); a
    skill with no reason left is offerable again. Returns how many skills were released."""
    skills = await ProviderSkill.select(
        ProviderSkill.id, ProviderSkill.suspended_reason, ProviderSkill.tenant
    ).where(
        (ProviderSkill.provider == profile_id) & (ProviderSkill.suspended == True)  # noqa: E712
    )
    released = 0
    for skill in skills:
        reasons = suspension_reasons(skill["suspended_reason"])
        if reason not in reasons:
            continue
        left = [r for r in reasons if r != reason]
        await ProviderSkill.update(
            {ProviderSkill.suspended: bool(left), ProviderSkill.suspended_reason: ",".join(left)}
        ).where(ProviderSkill.id == skill["id"])
        await bump_matching_version(skill["tenant"], profile_id)
        released += not left
    return released
