"""The one booking state machine: which transitions exist and who may make each."""

from __future__ import annotations

HOLDING_STATES = frozenset({"offered", "accepted", "en_route", "arrived", "in_progress"})
"""States in which a booking holds its provider's time (the database constraint's set)."""
ACTIVE_STATES = frozenset({"accepted", "en_route", "arrived", "in_progress"})
FINAL_STATES = frozenset({"closed", "cancelled", "expired", "no_show"})
REVIEWABLE = frozenset({"completed", "closed"})
"""States in which the customer may review the job (and a review may exist)."""

CUSTOMER, PROVIDER, STAFF, SYSTEM = "customer", "provider", "staff", "system"

TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    ("requested", "offered"): frozenset({SYSTEM, STAFF}),
    ("requested", "cancelled"): frozenset({CUSTOMER, STAFF}),
    ("requested", "expired"): frozenset({SYSTEM}),
    ("offered", "accepted"): frozenset({PROVIDER}),
    ("offered", "declined"): frozenset({PROVIDER}),
    ("offered", "expired"): frozenset({SYSTEM}),
    ("offered", "cancelled"): frozenset({CUSTOMER, STAFF}),
    ("declined", "offered"): frozenset({SYSTEM, STAFF}),
    ("declined", "cancelled"): frozenset({CUSTOMER, STAFF, SYSTEM}),
    ("declined", "expired"): frozenset({SYSTEM}),
    ("expired", "offered"): frozenset({SYSTEM, STAFF}),
    ("accepted", "en_route"): frozenset({PROVIDER}),
    ("accepted", "cancelled"): frozenset({CUSTOMER, PROVIDER, STAFF}),
    ("accepted", "no_show"): frozenset({STAFF, SYSTEM}),
    ("en_route", "arrived"): frozenset({PROVIDER}),
    ("en_route", "cancelled"): frozenset({STAFF}),
    ("arrived", "in_progress"): frozenset({PROVIDER}),
    ("arrived", "no_show"): frozenset({PROVIDER, STAFF}),
    ("in_progress", "completed"): frozenset({PROVIDER}),
    ("completed", "closed"): frozenset({CUSTOMER, STAFF, SYSTEM}),
}


class TransitionError(Exception):
    """Not allowed: the reason says whether the state or the role is wrong."""

    def __init__(self, reason: str, status_code: int = 409) -> None:
        self.reason = reason
        self.status_code = status_code
        super().__init__(reason)


def check_transition(current: str, target: str, role: str) -> None:
    allowed = TRANSITIONS.get((current, target))
    if allowed is None:
        raise TransitionError(f"a booking that is {current} cannot become {target}")
    if role not in allowed:
        raise TransitionError(f"a {role} cannot move a booking from {current} to {target}", 403)


def next_states(current: str, role: str) -> list[str]:
    return [to for (frm, to), roles in TRANSITIONS.items() if frm == current and role in roles]
