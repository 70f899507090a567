"""What the booking API sends and receives (camelCase on the wire). Money in fen, times in
ISO 8601 with a zone, points WGS-84."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from core.catalog.schemas_api import Api


class PointIn(Api, forbid_unknown_fields=True):
    lat: float
    lng: float


class PlaceIn(Api, forbid_unknown_fields=True):
    """Where: one of your saved addresses (``addressId``), or an address in full (placed by
    the tenant's geocoder), or an address with its point and district."""

    address_id: str | None = None
    address: str | None = None
    point: PointIn | None = None
    district: str = ""


class ItemIn(Api, forbid_unknown_fields=True):
    item: str
    """``<vertical>.<item>``, e.g. ``housekeeping.home_cleaning``."""
    tier: str
    intake: dict[str, Any] = {}
    addons: list[str] = []


class FindProvidersIn(Api, forbid_unknown_fields=True):
    item: str
    tier: str
    place: PlaceIn
    start: datetime
    """The start wanted, with a time zone."""
    intake: dict[str, Any] = {}
    addons: list[str] = []


class ListSlotsIn(Api, forbid_unknown_fields=True):
    item: str
    tier: str
    place: PlaceIn
    day: date
    """A day in the tenant's time zone."""
    intake: dict[str, Any] = {}
    addons: list[str] = []
    provider_id: str | None = None
    """Only the times this provider can make; none: any provider."""


class CreateBookingIn(Api, forbid_unknown_fields=True):
    items: list[ItemIn]
    place: PlaceIn
    starts_at: datetime
    window_end: datetime | None = None
    """For "between 14:00 and 16:00": the latest start accepted."""
    provider_id: str | None = None
    """A provider you chose; none: the best available."""
    note: str = ""


class CheckInIn(Api, forbid_unknown_fields=True):
    position: PointIn
    """Where the phone is (the address must be within the tenant's geofence)."""


class ReasonIn(Api, forbid_unknown_fields=True):
    reason: str = ""


class ReviewIn(Api, forbid_unknown_fields=True):
    rating: int
    """1 to 5 stars."""
    text: str = ""
    tags: list[str] = []


class RescheduleIn(Api, forbid_unknown_fields=True):
    starts_at: datetime


class FactorOut(Api):
    name: str
    """``travel``, ``rating``, ``quality``, ``reliability`` or ``fairness``."""
    detail: str
    score: float
    weight: float
    points: float


class AdjustmentOut(Api):
    code: str
    delta: float
    reason: str


class ExplanationOut(Api):
    factors: list[FactorOut]
    adjustments: list[AdjustmentOut]


class CandidateOut(Api):
    provider_id: str
    rank: int
    display_name: str
    avatar_url: str | None
    rating: float | None
    rating_count: int
    distance_km: float
    travel_minutes: float
    score: float | None
    """Staff, and a provider about themselves, only."""
    explanation: ExplanationOut | None
    """Why this score: staff see everyone's, a provider their own, customers none."""


class FindProvidersOut(Api):
    total_fen: int
    duration_minutes: int
    candidates: list[CandidateOut]


class SlotOut(Api):
    starts_at: datetime
    providers: int
    """How many providers could come then."""


class ListSlotsOut(Api):
    day: date
    duration_minutes: int
    total_fen: int
    slots: list[SlotOut]


class BookingItemOut(Api):
    item: str
    tier: str
    intake: dict[str, Any]
    addons: list[str]
    total_fen: int
    duration_minutes: int


class StepOut(Api):
    state: str
    status: str
    """``done``, ``current`` or ``todo``."""
    at: datetime | None


class TransitionOut(Api):
    from_state: str
    to_state: str
    actor_role: str
    reason: str
    at: datetime


class ReviewOut(Api):
    rating: int
    text: str
    tags: list[str]
    created_at: datetime


class CancellationOut(Api):
    fee_fen: int
    """What cancelling now costs you (0: free)."""
    free_until: datetime | None
    charged_fen: int
    """Charged when it was cancelled."""


class BookingOut(Api):
    id: str
    status: str
    role: str
    """Your role in this booking: ``customer``, ``provider`` or ``staff``."""
    vertical: str
    items: list[BookingItemOut]
    total_fen: int
    currency: str
    starts_at: datetime
    ends_at: datetime
    window_end: datetime | None
    district: str
    address: str | None
    """The full address: the customer's own; the assigned provider's from acceptance to the end
    of the job (each read is audited); never anyone else's."""
    provider_id: str | None
    urgent: bool
    offer_expires_at: datetime | None
    note: str
    version: int
    next_actions: list[str]
    """The states you may move it to now."""
    cancellation: CancellationOut
    can_reschedule: bool
    timeline: list[StepOut]
    transitions: list[TransitionOut]
    review: ReviewOut | None
    can_review: bool
    created_at: datetime


class BookingSummaryOut(Api):
    id: str
    status: str
    vertical: str
    item: str
    tier: str
    total_fen: int
    currency: str
    starts_at: datetime
    ends_at: datetime
    district: str
    provider_id: str | None
    urgent: bool
    offer_expires_at: datetime | None


class CreatedReviewOut(Api):
    id: str
