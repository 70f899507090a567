"""The urgent cascade: the best nearby free provider is offered the job with the tenant's accept
time-out; then the next; the radius widens step by step (``policies.booking.urgent_radius_km``)
only when nobody is left inside the current one.

Every step is one write transaction: a time-out and the next offer commit together, so nobody
ever sees a request half-way between two providers. Nobody is asked twice (``offered_to``);
when the widest radius holds nobody left, the request expires and the customer is told. Every
offer and expiry is a transition in the audit trail. The request itself is ``urgent``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from core.booking.service import SYSTEM_ACTOR, Actor, load, record
from core.booking.states import PROVIDER
from core.booking.tables import Booking
from core.catalog.model import TenantCatalog
from core.db import (
    is_deadlock,
    is_unique_or_exclusion_violation,
    savepoint_in,
    write_transaction,
)
from core.matching.service import JobRequest, find_candidates
from core.matching.version import bump_matching_version
from core.privacy import service as privacy
from core.tenancy.model import Tenant
from core.tenancy.scoped import within_tenant

CASCADE_FROM = frozenset({"requested", "declined", "expired"})
"""States from which the cascade asks the next provider."""


@dataclass(frozen=True)
class CascadeStep:
    booking_id: str
    status: str
    """``offered`` (to ``provider_id`` within ``radius_km``), ``expired`` (nobody left), or
    the booking's status when it was not the cascade's to move (``moved``: changed meanwhile)."""
    provider_id: str | None
    radius_km: float | None


def _job(tenant_id: str, booking: dict[str, Any]) -> JobRequest:
    lat, lng = privacy.unseal(
        booking["point_enc"], field="booking.point", tenant_id=tenant_id
    ).split(",")
    items = _list(booking["items"])
    return JobRequest(
        item_ref=items[0]["item"],
        more_items=tuple(i["item"] for i in items[1:]),
        point=(float(lat), float(lng)),
        starts_at=booking["starts_at"],
        duration_minutes=int((booking["ends_at"] - booking["starts_at"]).total_seconds() // 60),
        district=booking["district"],
    )


@asynccontextmanager
async def _attempt() -> AsyncIterator[None]:
    """One offer attempt inside the caller's write transaction. On PostgreSQL a savepoint, so
    a hold the exclusion constraint refuses (the provider was just booked by someone else)
    leaves the transaction usable for the next candidate; SQLite's single writer path makes
    that impossible, so nothing is needed there."""
    engine = Booking._meta.db
    current = engine.current_transaction.get() if isinstance(engine, PostgresEngine) else None
    if current is None:
        yield
        return
    async with savepoint_in(current):
        yield


async def offer(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    booking: dict[str, Any],
    now: datetime,
) -> CascadeStep | None:
    """Inside the caller's write transaction: offer ``booking`` (as just loaded) to the best
    free provider not asked yet, in the current radius, then the next wider one. None when
    nobody is left in the widest radius (or the planned start has passed)."""
    booking_id = str(booking["id"])
    policy = tenant.config.policies.booking
    radii = policy.urgent_radius_km
    timeout = timedelta(seconds=policy.offer_timeout_seconds)
    if booking["starts_at"] <= now:
        return None  # nobody can come as planned any more
    asked = [str(p) for p in _list(booking["offered_to"])]
    taken: set[str] = set()
    job = _job(tenant_id, booking)
    for step in range(int(booking["cascade_step"]), len(radii)):
        while True:
            candidates = await find_candidates(
                plugins,
                tenant,
                tenant_id,
                catalog,
                job,
                now=now,
                exclude={*asked, *taken},
                radius_km=radii[step],
            )
            if not candidates:
                break  # nobody left inside this radius: widen
            chosen = candidates[0].provider_id
            try:
                async with _attempt():
                    changed = (
                        await Booking.update(
                            {
                                Booking.status: "offered",
                                Booking.provider: chosen,
                                Booking.offer_expires_at: now + timeout,
                                Booking.cascade_step: step,
                                Booking.offered_to: [*asked, chosen],
                                Booking.version: booking["version"] + 1,
                                Booking.updated_at: now,
                            }
                        )
                        .where(_this(tenant_id, booking_id, booking["version"]))
                        .returning(Booking.id)
                    )
                    if not changed:
                        return CascadeStep(booking_id, "moved", None, None)
                    await record(
                        tenant_id,
                        booking_id,
                        booking["status"],
                        "offered",
                        SYSTEM_ACTOR,
                        f"urgent offer within {radii[step]:g} km",
                        now,
                    )
                    await bump_matching_version(tenant_id, chosen, *_holder(booking), holds=True)
            except Exception as exc:
                if is_unique_or_exclusion_violation(exc) or is_deadlock(exc):
                    taken.add(chosen)  # booked by someone else meanwhile: not asked, skip
                    continue
                raise
            return CascadeStep(booking_id, "offered", chosen, radii[step])
    return None


async def _give_up(tenant_id: str, booking: dict[str, Any], now: datetime) -> CascadeStep:
    """Inside the caller's write transaction: nobody nearby could come; the request expires."""
    booking_id = str(booking["id"])
    changed = (
        await Booking.update(
            {
                Booking.status: "expired",
                Booking.provider: None,
                Booking.offer_expires_at: None,
                Booking.version: booking["version"] + 1,
                Booking.updated_at: now,
            }
        )
        .where(_this(tenant_id, booking_id, booking["version"]))
        .returning(Booking.id)
    )
    if not changed:
        return CascadeStep(booking_id, "moved", None, None)
    await bump_matching_version(tenant_id, *_holder(booking), holds=True)
    if booking["status"] != "expired":
        await record(
            tenant_id,
            booking_id,
            booking["status"],
            "expired",
            SYSTEM_ACTOR,
            "no provider nearby accepted in time",
            now,
        )
    return CascadeStep(booking_id, "expired", None, None)


@within_tenant
async def offer_next(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    booking_id: str,
    now: datetime | None = None,
) -> CascadeStep:
    """Offer an urgent request waiting for a provider (requested, declined, or expired
    between two offers) to the next one, or let it expire when nobody is left. A booking in
    any other state, or not urgent, is left alone. Safe to call twice (version check)."""
    now = now or datetime.now(UTC)
    async with write_transaction():
        booking = await load(tenant_id, booking_id)
        provider = _str(booking["provider"])
        if not booking["urgent"] or booking["status"] not in CASCADE_FROM:
            return CascadeStep(booking_id, booking["status"], provider, None)
        if booking["status"] == "expired" and booking["offer_expires_at"] is None:
            return CascadeStep(booking_id, "expired", None, None)  # given up already
        step = await offer(plugins, tenant, tenant_id, catalog, booking, now)
        return step if step is not None else await _give_up(tenant_id, booking, now)


@within_tenant
async def expire_offers(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    now: datetime | None = None,
) -> dict[str, int]:
    """Worker job, idempotent. Offers past their time-out expire; an urgent one goes to the
    next provider in the same transaction (or expires for good when nobody is left). Offers
    for booked times expire when their start passes unanswered. An urgent request whose
    cascade was cut short (a decline whose next offer never happened) is moved on."""
    now = now or datetime.now(UTC)
    report = {"offers_expired": 0, "urgent_reoffered": 0, "urgent_unanswered": 0}
    due = await Booking.select(Booking.id).where(
        (Booking.tenant == tenant_id)
        & (Booking.status == "offered")
        & Booking.offer_expires_at.is_not_null()
        & (Booking.offer_expires_at <= now)
    )
    for row in due:
        async with write_transaction():
            booking = await load(tenant_id, str(row["id"]))
            expires = booking["offer_expires_at"]
            if booking["status"] != "offered" or expires is None or expires > now:
                continue  # accepted, declined or moved meanwhile
            changed = (
                await Booking.update(
                    {
                        Booking.status: "expired",
                        Booking.version: booking["version"] + 1,
                        Booking.updated_at: now,
                    }
                )
                .where(_this(tenant_id, booking["id"], booking["version"]))
                .returning(Booking.id)
            )
            if not changed:
                continue
            await record(
                tenant_id,
                str(booking["id"]),
                "offered",
                "expired",
                SYSTEM_ACTOR,
                "the provider did not answer in time",
                now,
            )
            await bump_matching_version(tenant_id, *_holder(booking), holds=True)
            report["offers_expired"] += 1
            if not booking["urgent"]:
                continue
            expired = {**booking, "status": "expired", "version": booking["version"] + 1}
            step = await offer(plugins, tenant, tenant_id, catalog, expired, now)
            if step is None:
                await _give_up(tenant_id, expired, now)
                report["urgent_unanswered"] += 1
            else:
                report["urgent_reoffered"] += step.status == "offered"
    stuck = await Booking.select(Booking.id).where(
        (Booking.tenant == tenant_id)
        & (Booking.urgent == True)  # noqa: E712 - a column comparison
        & Booking.status.is_in(["requested", "declined"])
    )
    for row in stuck:
        step = await offer_next(plugins, tenant, tenant_id, catalog, str(row["id"]), now)
        if step.status == "offered":
            report["urgent_reoffered"] += 1
        elif step.status == "expired":
            report["urgent_unanswered"] += 1
    return report


@within_tenant
async def decline_and_cascade(
    plugins: Any,
    tenant: Tenant,
    tenant_id: str,
    catalog: TenantCatalog,
    booking_id: str,
    actor: Actor,
    now: datetime | None = None,
) -> None:
    """A provider declines; an urgent request moves on to the next provider at once."""
    from core.booking.service import transition

    row = await transition(tenant, tenant_id, booking_id, "declined", actor, now=now)
    if row["urgent"]:
        await offer_next(plugins, tenant, tenant_id, catalog, booking_id, now)


def offer_moved_on(booking: dict[str, Any], actors: list[Actor]) -> bool:
    """Whether one of ``actors`` is a provider this urgent request was offered to earlier and
    has since moved on from (their late answer is a 409, not a 404: they know it exists)."""
    asked = {str(p) for p in _list(booking["offered_to"])}
    return bool(booking["urgent"]) and any(
        a.role == PROVIDER and a.provider_id in asked and a.provider_id != _str(booking["provider"])
        for a in actors
    )


def _this(tenant_id: str, booking_id: Any, version: int) -> Any:
    """The booking, in this tenant, if nobody moved it since it was read (optimistic)."""
    return (Booking.tenant == tenant_id) & (Booking.id == booking_id) & (Booking.version == version)


def _holder(booking: dict[str, Any]) -> list[str]:
    """The provider whose time the booking held before the change (none, or one)."""
    return [str(booking["provider"])] if booking["provider"] is not None else []


def _list(value: Any) -> list[Any]:
    return json.loads(value) if isinstance(value, str) else list(value or [])


def _str(value: Any) -> str | None:
    return str(value) if value is not None else None


def offered_to(booking: dict[str, Any]) -> list[str]:
    """The providers this urgent request has been offered to, in turn."""
    return [str(p) for p in _list(booking["offered_to"])]
