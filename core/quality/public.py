"""The public quality page's figures: per vertical and per provider, over the last 90 days,
computed once a day into ``QualitySnapshot``. A figure is published only when at least the
tenant's minimum number of bookings stands behind it, so no single customer can be picked out.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.booking.tables import Booking, BookingTransition, Review
from core.db import write_transaction
from core.quality.rules import clock
from core.quality.tables import Complaint, QualitySnapshot, SpotCheck
from core.tenancy.model import Tenant
from core.tenancy.scoped import within_tenant

WINDOW = timedelta(days=90)


def _day(tenant: Tenant, now: datetime) -> Any:
    return now.astimezone(ZoneInfo(tenant.config.timezone)).date()


@within_tenant
async def needs_snapshot(tenant: Tenant, tenant_id: str, now: datetime) -> bool:
    return not await QualitySnapshot.exists().where(
        (QualitySnapshot.tenant == tenant_id) & (QualitySnapshot.day == _day(tenant, now))
    )


@dataclass
class Tally:
    bookings: int = 0
    ratings: list[int] | None = None
    checked_in: int = 0
    on_time: int = 0
    complaints: int = 0
    deadlines_due: int = 0
    deadlines_met: int = 0
    reservices: int = 0
    spot_scores: list[int] | None = None

    def figures(self) -> dict[str, Any]:
        ratings, spots = self.ratings or [], self.spot_scores or []
        share = lambda part, whole: round(part / whole, 3) if whole else None  # noqa: E731
        return {
            "bookings": self.bookings,
            "rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
            "rating_count": len(ratings),
            "on_time_share": share(self.on_time, self.checked_in),
            "complaint_rate": share(self.complaints, self.bookings),
            "deadline_compliance": share(self.deadlines_met, self.deadlines_due),
            "reservice_rate": share(self.reservices, self.bookings),
            "spot_check_score": round(sum(spots) / len(spots)) if spots else None,
            "spot_check_count": len(spots),
        }


@within_tenant
async def compute_snapshot(tenant: Tenant, tenant_id: str, now: datetime) -> int:
    """Today's figures, once (a second run the same day writes nothing). Returns rows written."""
    day = _day(tenant, now)
    policy = tenant.config.policies.quality
    late_after = timedelta(minutes=policy.points.late_after_minutes)
    since = now - WINDOW
    bookings = await Booking.select(
        Booking.id, Booking.provider, Booking.vertical, Booking.starts_at, Booking.window_end
    ).where(
        (Booking.tenant == tenant_id)
        & Booking.status.is_in(["completed", "closed"])
        & (Booking.ends_at >= since)
        & (Booking.ends_at <= now)
        & Booking.provider.is_not_null()
    )
    ids = [b["id"] for b in bookings]
    arrived = {
        str(t["booking"]): t["at"]
        for t in (
            await BookingTransition.select(BookingTransition.booking, BookingTransition.at).where(
                (BookingTransition.tenant == tenant_id)
                & BookingTransition.booking.is_in(ids)
                & (BookingTransition.to_state == "arrived")
            )
            if ids
            else []
        )
    }
    ratings = {
        str(r["booking"]): r["rating"]
        for r in (
            await Review.select(Review.booking, Review.rating).where(
                (Review.tenant == tenant_id) & Review.booking.is_in(ids)
            )
            if ids
            else []
        )
    }
    complaints = {
        str(c["booking"]): c
        for c in await Complaint.select().where(
            (Complaint.tenant == tenant_id) & (Complaint.created_at >= since)
        )
    }
    spots = {
        str(s["booking"]): s["score"]
        for s in await SpotCheck.select(SpotCheck.booking, SpotCheck.score).where(
            (SpotCheck.tenant == tenant_id)
            & (SpotCheck.status == "done")
            & (SpotCheck.completed_at >= since)
        )
    }
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for b in bookings:
        bid = str(b["id"])
        for key in (("vertical", b["vertical"]), ("provider", str(b["provider"]))):
            t = tallies[key]
            t.bookings += 1
            if bid in ratings:
                t.ratings = [*(t.ratings or []), ratings[bid]]
            if bid in arrived:
                t.checked_in += 1
                t.on_time += arrived[bid] <= (b["window_end"] or b["starts_at"]) + late_after
            if bid in spots and spots[bid] is not None:
                t.spot_scores = [*(t.spot_scores or []), spots[bid]]
            if (c := complaints.get(bid)) is not None:
                t.complaints += 1
                t.reservices += c["reservice_booking"] is not None
                state = clock(c["resolution_due"], c["resolved_at"], now)
                if state != "running":
                    t.deadlines_due += 1
                    t.deadlines_met += state == "met"
    rows = [
        QualitySnapshot(
            tenant=tenant_id,
            day=day,
            scope=scope,
            key=key[:60],
            sample=t.bookings,
            figures=t.figures(),
            dedupe=f"{tenant_id}:{day.isoformat()}:{scope}:{key}"[:120],
            computed_at=now,
        )
        for (scope, key), t in sorted(tallies.items())
        if t.bookings >= policy.public_min_sample
    ]
    async with write_transaction():
        if await QualitySnapshot.exists().where(
            (QualitySnapshot.tenant == tenant_id) & (QualitySnapshot.day == day)
        ):
            return 0
        # A marker row, so a day with nothing to publish is not computed again each pass.
        marker = QualitySnapshot(
            tenant=tenant_id,
            day=day,
            scope="day",
            key="",
            sample=len(bookings),
            figures={},
            dedupe=f"{tenant_id}:{day.isoformat()}:day",
            computed_at=now,
        )
        await QualitySnapshot.insert(marker, *rows)
    return len(rows)


@within_tenant
async def latest(tenant_id: str) -> tuple[Any, list[dict[str, Any]]]:
    """The newest day's published rows (day, rows); (None, []) before the first run."""
    newest = (
        await QualitySnapshot.select(QualitySnapshot.day)
        .where(QualitySnapshot.tenant == tenant_id)
        .order_by(QualitySnapshot.day, ascending=False)
        .first()
    )
    if newest is None:
        return None, []
    rows = await QualitySnapshot.select().where(
        (QualitySnapshot.tenant == tenant_id)
        & (QualitySnapshot.day == newest["day"])
        & (QualitySnapshot.scope != "day")
    )
    for row in rows:
        if isinstance(row["figures"], str):
            row["figures"] = json.loads(row["figures"])
    return newest["day"], list(rows)
