"""What the safety API sends and receives (camelCase on the wire; points WGS-84, times ISO 8601
with a zone)."""

from __future__ import annotations

from datetime import datetime

from core.catalog.schemas_api import Api


class PositionIn(Api, forbid_unknown_fields=True):
    lat: float
    lng: float
    at: datetime | None = None
    """When the phone took it (now if left out); refused if far from now."""
    accuracy_m: float = 0


class PositionOut(Api):
    accepted: bool
    checks: list[CheckOut]
    """Unanswered "are you OK?" questions for you on this job (answer them on the job page)."""


class CheckOut(Api):
    id: str
    anomaly: str


class LivePositionOut(Api):
    status: str
    lat: float | None = None
    lng: float | None = None
    at: datetime | None = None
    distance_m: int | None = None
    eta_minutes: int | None = None


class SosIn(Api, forbid_unknown_fields=True):
    booking_id: str | None = None
    lat: float | None = None
    lng: float | None = None
    client_key: str = ""
    """A key the app makes once per press: retrying with it never opens a second incident."""


class SosOut(Api):
    incident_id: str
    status: str


class NoteIn(Api):
    note: str = ""


class EvidenceOut(Api):
    seq: int
    at: datetime
    kind: str
    body: dict[str, object]
    hash: str


class IncidentOut(Api):
    id: str
    kind: str
    severity: str
    status: str
    raised_role: str
    booking_id: str | None
    escalation_level: int
    created_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    chain_intact: bool | None = None
    """Staff only: whether the evidence log's hash chain checks out."""
    evidence: list[EvidenceOut] = []
    """Staff only."""
