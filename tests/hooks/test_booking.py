"""Matching and booking hooks: validate_booking, match_score_adjustments, booking_event."""

from __future__ import annotations

from datetime import UTC, datetime

from core.booking.schemas import BookingDraft, BookingEvent, ValidationProblem
from core.matching.schemas import MatchCandidate, ScoreAdjustment
from core.tenancy.model import Tenant
from tests.hooks.host import (
    GARDENING,
    GARDENING_VERTICAL,
    concatenated,
    host,
    plugin,
    vertical_plugin,
)

MORNING = datetime(2025, 5, 6, 1, 0, tzinfo=UTC)


def hedge_too_long(tenant: Tenant, draft: BookingDraft) -> list[ValidationProblem]:
    if draft.vertical == GARDENING and draft.intake.get("hedge_length_m", 0) > 200:
        return [ValidationProblem(field="intake.hedge_length_m", reason="at most 200 m a visit")]
    return []


def address_required(tenant: Tenant, draft: BookingDraft) -> list[ValidationProblem]:
    if draft.intake.get("address"):
        return []
    return [ValidationProblem(field="intake.address", reason="where should we come?")]


def test_hook_validate_booking(jiejia: Tenant, garden: Tenant) -> None:
    """Every problem from every enabled plugin is reported, each naming its field."""
    pm = host(
        vertical_plugin(GARDENING_VERTICAL, validate_booking=hedge_too_long),
        plugin("addresses", validate_booking=address_required),
    )
    draft = BookingDraft(
        vertical=GARDENING,
        item="hedges",
        tier="standard",
        starts_at=MORNING,
        intake={"hedge_length_m": 250},
    )
    fine = BookingDraft(
        vertical=GARDENING,
        item="hedges",
        tier="standard",
        starts_at=MORNING,
        intake={"hedge_length_m": 20, "address": "1 Garden Rd"},
    )

    def problems(tenant: Tenant, booking: BookingDraft) -> list[str]:
        found = pm.for_tenant(tenant).validate_booking(draft=booking)
        return sorted(p.field for p in concatenated(found))

    assert problems(garden, draft) == ["intake.address", "intake.hedge_length_m"]
    assert problems(jiejia, draft) == ["intake.address"]
    assert problems(garden, fine) == []


def far_away(tenant: Tenant, candidate: MatchCandidate) -> list[ScoreAdjustment]:
    if candidate.travel_minutes <= 30:
        return []
    return [ScoreAdjustment(code="gardening.far_away", delta=-5.0, reason="over 30 minutes away")]


def loyal(tenant: Tenant, candidate: MatchCandidate) -> list[ScoreAdjustment]:
    return [ScoreAdjustment(code="loyalty.repeat_customer", delta=1.0, reason="served them before")]


def test_hook_match_score_adjustments(jiejia: Tenant, garden: Tenant) -> None:
    """A far-away gardener ranks lower where gardening is on; the loyalty bonus counts anywhere."""
    pm = host(
        vertical_plugin(GARDENING_VERTICAL, match_score_adjustments=far_away),
        plugin("loyalty", match_score_adjustments=loyal),
    )
    candidate = MatchCandidate(
        provider_id="p-1", vertical=GARDENING, item="hedges", travel_minutes=45.0, base_score=70.0
    )

    def explained(tenant: Tenant) -> tuple[float, list[str]]:
        found = concatenated(pm.for_tenant(tenant).match_score_adjustments(candidate=candidate))
        return candidate.base_score + sum(a.delta for a in found), sorted(a.code for a in found)

    assert explained(garden) == (66.0, ["gardening.far_away", "loyalty.repeat_customer"])
    assert explained(jiejia) == (71.0, ["loyalty.repeat_customer"])


def test_hook_booking_event(jiejia: Tenant, garden: Tenant) -> None:
    """Observers of enabled verticals and vertical-less observers see each committed event."""
    gardening_saw: list[str] = []
    audit_saw: list[str] = []

    def gardening_observer(tenant: Tenant, event: BookingEvent) -> None:
        gardening_saw.append(f"{tenant.slug}:{event.event_id}")

    def audit_observer(tenant: Tenant, event: BookingEvent) -> None:
        audit_saw.append(f"{tenant.slug}:{event.event_id}")

    pm = host(
        vertical_plugin(GARDENING_VERTICAL, booking_event=gardening_observer),
        plugin("audit", booking_event=audit_observer),
    )

    def event(event_id: str) -> BookingEvent:
        return BookingEvent(
            event_id=event_id,
            booking_id="b-1",
            vertical=GARDENING,
            from_state="confirmed",
            to_state="completed",
            at=MORNING,
            actor_role="provider",
        )

    assert pm.for_tenant(garden).booking_event(event=event("e-1")) == []  # nothing returned
    pm.for_tenant(jiejia).booking_event(event=event("e-2"))

    assert gardening_saw == ["garden:e-1"]
    assert audit_saw == ["garden:e-1", "jiejia:e-2"]
