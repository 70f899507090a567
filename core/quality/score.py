"""A provider's quality score (0..1) and the rewards it earns.

The score is half spot checks, half customers' ratings, less 0.02 per penalty point in the
window. It is what matching reads (``ProviderProfile.quality_score``, the ``quality`` factor of
every ranking); providers with the "excellent" badge (the tenant's top share) get the tenant's
boost on top, and a monthly bonus through the ledger."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.db import write_transaction
from core.matching.version import bump_matching_version
from core.providers.tables import ProviderProfile
from core.quality import remedies
from core.quality.tables import PenaltyEvent, ProviderQuality, Reward, SpotCheck
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, within_tenant

RATING_PRIOR_MEAN, RATING_PRIOR_WEIGHT = 4.5, 5
SPOT_CHECK_PRIOR = 0.8
POINT_COST = 0.02
SPOT_CHECK_DAYS = 180


def compose(
    spot_scores: list[int], rating_sum: int, rating_count: int, points: int
) -> dict[str, Any]:
    """The score and its parts, as the provider sees them."""
    spot = sum(spot_scores) / len(spot_scores) / 100 if spot_scores else SPOT_CHECK_PRIOR
    rating = (RATING_PRIOR_MEAN * RATING_PRIOR_WEIGHT + rating_sum) / (
        RATING_PRIOR_WEIGHT + rating_count
    )
    penalty = min(0.5, points * POINT_COST)
    score = max(0.0, min(1.0, 0.5 * spot + 0.5 * rating / 5 - penalty))
    return {
        "spot_checks": round(spot, 3),
        "spot_check_count": len(spot_scores),
        "rating": round(rating, 2),
        "rating_count": rating_count,
        "points": points,
        "penalty": round(penalty, 3),
        "score": round(score, 3),
    }


async def _parts(tenant: Tenant, tenant_id: str, ids: list[Any], now: datetime) -> dict[str, Any]:
    if not ids:
        return {"points": {}, "spots": {}}
    since = now - timedelta(days=tenant.config.policies.quality.points_window_days)
    points: dict[str, int] = {}
    for row in await PenaltyEvent.select(PenaltyEvent.provider, PenaltyEvent.points).where(
        (PenaltyEvent.tenant == tenant_id)
        & PenaltyEvent.provider.is_in(ids)
        & (PenaltyEvent.voided == False)  # noqa: E712 - a column comparison
        & (PenaltyEvent.at >= since)
    ):
        points[str(row["provider"])] = points.get(str(row["provider"]), 0) + row["points"]
    spots: dict[str, list[int]] = {}
    for row in await SpotCheck.select(SpotCheck.provider, SpotCheck.score).where(
        (SpotCheck.tenant == tenant_id)
        & SpotCheck.provider.is_in(ids)
        & (SpotCheck.status == "done")
        & (SpotCheck.completed_at >= now - timedelta(days=SPOT_CHECK_DAYS))
    ):
        spots.setdefault(str(row["provider"]), []).append(row["score"])
    return {"points": points, "spots": spots}


async def _store(
    tenant: Tenant,
    tenant_id: str,
    provider_id: Any,
    parts: dict[str, Any],
    excellent: bool,
    now: datetime,
    bump: bool = True,
) -> None:
    """``bump=False``: the caller tells the candidate index once, for every provider."""
    boost = tenant.config.policies.quality.excellent_boost if excellent else 0.0
    parts = {**parts, "excellent_boost": boost}
    matching = min(1.0, parts["score"] + boost)
    await ProviderProfile.update({ProviderProfile.quality_score: matching}).where(
        (ProviderProfile.tenant == tenant_id) & (ProviderProfile.id == provider_id)
    )
    if bump:  # the quality score is a ranking factor the candidate index keeps in memory
        await bump_matching_version(tenant_id, provider_id)
    values: dict[Any, Any] = {
        ProviderQuality.score: parts["score"],
        ProviderQuality.points: parts["points"],
        ProviderQuality.excellent: excellent,
        ProviderQuality.breakdown: parts,
        ProviderQuality.updated_at: now,
    }
    changed = (
        await ProviderQuality.update(values)
        .where((ProviderQuality.tenant == tenant_id) & (ProviderQuality.provider == provider_id))
        .returning(ProviderQuality.id)
    )
    if not changed:
        await ProviderQuality.insert(
            ProviderQuality(
                tenant=tenant_id,
                provider=provider_id,
                score=parts["score"],
                points=parts["points"],
                excellent=excellent,
                breakdown=parts,
                updated_at=now,
            )
        )


async def refresh_provider(tenant: Tenant, tenant_id: str, provider_id: str, now: datetime) -> None:
    """Inside a write transaction: the provider's score now (the badge stays until the daily
    ranking)."""
    profile = (
        await ProviderProfile.select(ProviderProfile.rating_sum, ProviderProfile.rating_count)
        .where((ProviderProfile.tenant == tenant_id) & (ProviderProfile.id == provider_id))
        .first()
    )
    if profile is None:
        return
    found = await _parts(tenant, tenant_id, [provider_id], now)
    parts = compose(
        found["spots"].get(provider_id, []),
        profile["rating_sum"],
        profile["rating_count"],
        found["points"].get(provider_id, 0),
    )
    badge = (
        await ProviderQuality.select(ProviderQuality.excellent)
        .where((ProviderQuality.tenant == tenant_id) & (ProviderQuality.provider == provider_id))
        .first()
    )
    await _store(tenant, tenant_id, provider_id, parts, bool(badge and badge["excellent"]), now)


@within_tenant
async def rank_providers(tenant: Tenant, tenant_id: str, now: datetime) -> int:
    """Every provider's score; the badge for the top share of active providers with enough
    jobs and no points; each badge holder's bonus for the month (once). Returns how many
    providers were scored."""
    policy = tenant.config.policies.quality
    async with write_transaction():
        profiles = await ProviderProfile.select(
            ProviderProfile.id,
            ProviderProfile.status,
            ProviderProfile.rating_sum,
            ProviderProfile.rating_count,
            ProviderProfile.jobs_done,
        ).where(
            (ProviderProfile.tenant == tenant_id)
            & ProviderProfile.status.is_in(["active", "suspended", "removed"])
        )
        found = await _parts(tenant, tenant_id, [p["id"] for p in profiles], now)
        scored = []
        for p in profiles:
            pid = str(p["id"])
            parts = compose(
                found["spots"].get(pid, []),
                p["rating_sum"],
                p["rating_count"],
                found["points"].get(pid, 0),
            )
            scored.append((p, parts))
        contenders = sorted(
            (
                (parts["score"], str(p["id"]))
                for p, parts in scored
                if p["status"] == "active"
                and p["jobs_done"] >= policy.excellent_min_jobs
                and parts["points"] == 0
            ),
            reverse=True,
        )
        share = math.ceil(len(contenders) * policy.excellent_share_percent / 100)
        excellent = {pid for _, pid in contenders[:share]}
        for p, parts in scored:
            await _store(
                tenant, tenant_id, p["id"], parts, str(p["id"]) in excellent, now, bump=False
            )
        await bump_matching_version(tenant_id, *[p["id"] for p, _ in scored])
        period = now.astimezone(ZoneInfo(tenant.config.timezone)).strftime("%Y-%m")
        for pid in sorted(excellent) if policy.bonus_fen > 0 else []:
            dedupe = f"bonus:{pid}:{period}"
            if not await scoped(Reward, tenant_id).exists().where(Reward.dedupe == dedupe):
                await Reward.insert(
                    Reward(
                        tenant=tenant_id,
                        provider=pid,
                        period=period,
                        amount_fen=policy.bonus_fen,
                        dedupe=dedupe,
                        status=remedies.AWAITING_LEDGER,
                        created_at=now,
                    )
                )
    return len(scored)


@within_tenant
async def post_awaiting_rewards(tenant: Tenant, tenant_id: str) -> int:
    """Bonuses recorded while the ledger was not there yet, posted now (once each)."""
    rows = await Reward.select().where(
        (Reward.tenant == tenant_id) & (Reward.status == remedies.AWAITING_LEDGER)
    )
    posted = 0
    for row in rows:
        status = await remedies.bonus(
            tenant,
            tenant_id,
            str(row["provider"]),
            int(row["amount_fen"]),
            tenant.config.currency,
            key=f"quality:{row['dedupe']}",
        )
        if status == remedies.DONE:
            async with write_transaction():
                await (
                    scoped(Reward, tenant_id)
                    .update({Reward.status: remedies.DONE})
                    .where(Reward.id == row["id"])
                )
            posted += 1
    return posted


async def score_of(tenant_id: str, provider_id: str) -> dict[str, Any] | None:
    row = (
        await ProviderQuality.select()
        .where((ProviderQuality.tenant == tenant_id) & (ProviderQuality.provider == provider_id))
        .first()
    )
    return row
