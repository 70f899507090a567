"""Reviews: after completion the customer rates the job once; the provider's rating follows."""

from __future__ import annotations

from datetime import UTC, datetime

from core.booking.service import BookingError, load
from core.booking.states import REVIEWABLE
from core.booking.tables import Review
from core.catalog.pricing import QuoteProblem
from core.db import write_transaction
from core.matching.version import bump_matching_version
from core.providers.tables import ProviderProfile
from core.tenancy.scoped import within_tenant


@within_tenant
async def create_review(
    tenant_id: str,
    booking_id: str,
    customer_id: str,
    rating: int,
    text: str,
    tags: list[str],
    now: datetime | None = None,
) -> str:
    """One review per completed booking, only by its customer; updates the provider's rating."""
    now = now or datetime.now(UTC)
    if not 1 <= rating <= 5:
        raise BookingError([QuoteProblem("rating", "give 1 to 5 stars")])
    if len(text) > 1000:
        raise BookingError([QuoteProblem("text", "at most 1000 characters")])
    async with write_transaction():
        booking = await load(tenant_id, booking_id)
        if str(booking["customer"]) != customer_id:
            raise LookupError(booking_id)
        if booking["status"] not in REVIEWABLE:
            raise BookingError([QuoteProblem("booking", "review after the job is completed")], 409)
        if await Review.exists().where(Review.booking == booking_id):
            raise BookingError(
                [QuoteProblem("booking", "this booking already has your review")], 409
            )
        review = Review(
            tenant=tenant_id,
            booking=booking_id,
            provider=booking["provider"],
            customer=customer_id,
            rating=rating,
            text=text.strip(),
            tags=",".join(t.strip()[:20] for t in tags[:8]),
            created_at=now,
        )
        await review.save()
        # tenant-scope: the booking's provider, the booking read by load(tenant_id, ...)
        await ProviderProfile.update(
            {
                ProviderProfile.rating_sum: ProviderProfile.rating_sum + rating,
                ProviderProfile.rating_count: ProviderProfile.rating_count + 1,
            }
        ).where(ProviderProfile.id == booking["provider"])
        # The rating is a ranking factor the candidate index keeps in memory.
        await bump_matching_version(tenant_id, booking["provider"])
    return str(review.id)
