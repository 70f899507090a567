"""The location trail: positions the provider's phone reports while a job is en route or on
site. Sealed at rest; every read by a person goes through ``privacy.reveal`` (audited); purged
after the tenant's retention period unless an incident or a dispute holds them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.booking import service as booking_service
from core.booking.service import Actor
from core.booking.states import CUSTOMER, PROVIDER
from core.catalog.pricing import QuoteProblem
from core.db import write_transaction
from core.privacy import service as privacy
from core.safety.tables import PositionFix
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, within_tenant

FIELD = "safety.point"
TRAIL_STATES = frozenset({"en_route", "arrived", "in_progress"})
"""The only states in which the provider's position is collected or shown."""
MAX_ACCURACY_M = 5000


class PositionRefused(Exception):
    """Bad input (400, naming the field) or a job that is not being travelled to (409)."""

    def __init__(self, problems: list[QuoteProblem], status_code: int = 400) -> None:
        self.problems = problems
        self.status_code = status_code
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in problems))


@dataclass(frozen=True)
class Fix:
    at: datetime
    lat: float
    lng: float
    accuracy_m: int = 0


def _check(tenant: Tenant, lat: float, lng: float, taken_at: datetime, now: datetime) -> None:
    problems = []
    if not (-90 <= lat <= 90) or lat != lat:
        problems.append(QuoteProblem("lat", "must be a latitude between -90 and 90"))
    if not (-180 <= lng <= 180) or lng != lng:
        problems.append(QuoteProblem("lng", "must be a longitude between -180 and 180"))
    if taken_at.tzinfo is None:
        problems.append(QuoteProblem("at", "must include a time zone"))
    else:
        skew = timedelta(seconds=tenant.config.policies.safety.position_max_skew_seconds)
        if abs(taken_at - now) > skew:
            problems.append(QuoteProblem("at", "is too far from now"))
    if problems:
        raise PositionRefused(problems)


@within_tenant
async def report_position(
    tenant: Tenant,
    tenant_id: str,
    booking_id: str,
    actor: Actor,
    lat: float,
    lng: float,
    *,
    taken_at: datetime | None = None,
    accuracy_m: float = 0,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Store one position of the provider on their own job, only while it is en route or on
    site. Returns the booking. LookupError (404) for a job that is not theirs."""
    now = now or datetime.now(UTC)
    taken_at = taken_at or now
    _check(tenant, lat, lng, taken_at, now)
    booking = await booking_service.load(tenant_id, booking_id)
    if actor.role != PROVIDER or booking_service.role_in(booking, actor) != PROVIDER:
        raise LookupError(booking_id)
    if booking["status"] not in TRAIL_STATES:
        raise PositionRefused(
            [
                QuoteProblem(
                    "status",
                    f"positions are taken only on the way or on site, not when {booking['status']}",
                )
            ],
            409,
        )
    async with write_transaction():
        await scoped(PositionFix, tenant_id).insert(
            PositionFix(
                tenant=tenant_id,
                booking=booking_id,
                provider=booking["provider"],
                taken_at=taken_at.astimezone(UTC),
                received_at=now,
                point_enc=privacy.seal(f"{lat:.6f},{lng:.6f}", field=FIELD, tenant_id=tenant_id),
                accuracy_m=max(0, min(int(accuracy_m), MAX_ACCURACY_M)),
            )
        )
    return booking


def _fix(tenant_id: str, row: dict[str, Any]) -> Fix:
    lat, lng = privacy.unseal(row["point_enc"], field=FIELD, tenant_id=tenant_id).split(",")
    return Fix(at=row["taken_at"], lat=float(lat), lng=float(lng), accuracy_m=row["accuracy_m"])


async def system_trail(
    tenant_id: str, booking_id: str, *, since: datetime | None = None, limit: int = 500
) -> list[Fix]:
    """The trail oldest first, for the system's own checks (anomalies, snapshots); a person's
    view goes through ``trail_for`` / ``live_position`` (audited)."""
    query = (
        scoped(PositionFix, tenant_id)
        .select(PositionFix.taken_at, PositionFix.point_enc, PositionFix.accuracy_m)
        .where(PositionFix.booking == booking_id)
        .order_by(PositionFix.taken_at, ascending=False)
        .limit(limit)
    )
    if since is not None:
        query = query.where(PositionFix.taken_at >= since)
    return [_fix(tenant_id, r) for r in reversed(await query)]


async def audited_read(
    tenant_id: str, booking: dict[str, Any], reader: privacy.Reader, purpose_field: str = FIELD
) -> None:
    """Record a person's read of the provider's positions (subject: the provider's user)."""
    from core.privacy.tables import PersonalDataRead
    from core.providers.tables import ProviderProfile

    profile = (
        await scoped(ProviderProfile, tenant_id)
        .select(ProviderProfile.user)
        .where(ProviderProfile.id == booking["provider"])
        .first()
    )
    await scoped(PersonalDataRead, tenant_id).insert(
        PersonalDataRead(
            tenant=tenant_id,
            actor_id=reader.actor_id,
            actor_role=reader.role[:32],
            subject_id=profile["user"] if profile else None,
            field=purpose_field[:64],
            purpose=reader.purpose[:120],
        )
    )


@dataclass(frozen=True)
class LivePosition:
    status: str
    fix: Fix | None
    distance_m: float | None
    eta_minutes: int | None


@within_tenant
async def live_position(
    tenant: Tenant, tenant_id: str, booking_id: str, actor: Actor, *, now: datetime | None = None
) -> LivePosition:
    """The provider's latest position and ETA for the booking's own customer, only while the
    job is en route or on site (LookupError otherwise: nothing to see). The read is audited."""
    booking = await booking_service.load(tenant_id, booking_id)
    if actor.role != CUSTOMER or booking_service.role_in(booking, actor) != CUSTOMER:
        raise LookupError(booking_id)
    if booking["status"] not in TRAIL_STATES:
        return LivePosition(booking["status"], None, None, None)
    latest = await system_trail(tenant_id, booking_id, limit=1)
    if not latest:
        return LivePosition(booking["status"], None, None, None)
    async with write_transaction():
        await audited_read(
            tenant_id,
            booking,
            privacy.Reader(actor.user_id, CUSTOMER, "customer: provider's position, active job"),
        )
    fix = latest[-1]
    metres = booking_service.metres_from_address(tenant_id, booking, (fix.lat, fix.lng))
    speed = tenant.config.travel_speed_kmh
    eta = 0 if booking["status"] != "en_route" else max(1, round(metres / 1000 / speed * 60))
    return LivePosition(booking["status"], fix, metres, eta)


@within_tenant
async def purge_trails(tenant: Tenant, tenant_id: str, now: datetime) -> int:
    """Delete positions older than the retention period that no incident or dispute holds."""
    cutoff = now - timedelta(days=tenant.config.policies.safety.trail_retention_days)
    async with write_transaction():
        gone = (
            await scoped(PositionFix, tenant_id)
            .delete()
            .where((PositionFix.taken_at < cutoff) & (PositionFix.held == False))  # noqa: E712
            .returning(PositionFix.id)
        )
    return len(gone)


async def hold_trail(tenant_id: str, booking_id: str) -> None:
    """Keep the booking's positions past retention (an incident or a dispute needs them);
    inside the caller's write transaction."""
    await (
        scoped(PositionFix, tenant_id)
        .update({PositionFix.held: True})
        .where(PositionFix.booking == booking_id)
    )
