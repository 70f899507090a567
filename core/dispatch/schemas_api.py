"""What the dispatch API sends and receives (camelCase on the wire). Times in ISO 8601 with a
zone; navigate points GCJ-02 (what Chinese map apps read)."""

from __future__ import annotations

from datetime import datetime

from core.catalog.schemas_api import Api


class PlanDayIn(Api, forbid_unknown_fields=True):
    date: str
    """The day to plan, tenant time zone: ``2026-03-11``."""
    area: str = ""
    """One district planned on its own; empty for the whole city."""


class TotalsOut(Api):
    travel_km: float
    idle_minutes: int
    jobs: int
    routed: int
    unassigned: int
    windows_kept: int
    """Routed jobs whose planned start is inside the customer's window."""
    providers: int
    routes: int


class JobOut(Api):
    """A job as the dispatcher sees it: the district, never the address."""

    booking_id: str
    item: str
    tier: str
    status: str
    district: str
    starts_at: datetime
    window_end: datetime | None
    urgent: bool


class PlanStopOut(Api):
    seq: int
    arrival_at: datetime
    start_at: datetime
    job: JobOut


class BreakOut(Api):
    start_at: datetime
    end_at: datetime


class RouteOut(Api):
    provider_id: str
    provider_name: str
    colour: str
    depart_at: datetime
    back_at: datetime
    km: float
    idle_minutes: int
    stops: list[PlanStopOut]
    breaks: list[BreakOut]


class WaitingOut(Api):
    job: JobOut
    reason: str
    """``no_skill``, ``no_shift``, ``bad_window``, ``unreachable``, ``no_room``; empty for an
    open job booked (or changed) after the plan was made."""


class DayPlanOut(Api):
    date: str
    area: str
    planned: bool
    """False: no plan for this day (and area) yet; ``unplanned`` lists its open jobs."""
    plan_id: str | None
    planned_at: datetime | None
    solver: str | None
    totals: TotalsOut | None
    routes: list[RouteOut]
    unassigned: list[WaitingOut]
    """Jobs the plan could not give anyone, with the reason."""
    unplanned: list[WaitingOut]
    """Open jobs of the day the plan does not have yet (insert them with insertUrgentJob)."""


class NavigateOut(Api):
    lat: float
    lng: float
    """GCJ-02."""
    amap: str
    baidu: str
    apple: str
    geo: str
    """``geo:`` URI, WGS-84 (Android's map chooser)."""


class MyStopOut(Api):
    seq: int
    booking_id: str
    item: str
    tier: str
    status: str
    district: str
    arrival_at: datetime
    start_at: datetime
    end_at: datetime
    leave_by: datetime | None
    confirmed: bool
    """The job is yours to do: the address and the navigate point are given."""
    address: str | None
    navigate: NavigateOut | None


class MyRouteOut(Api):
    date: str
    planned: bool
    """From a dispatcher's plan; else your jobs at their booked times."""
    planned_at: datetime | None
    depart_at: datetime | None
    back_at: datetime | None
    km: float | None
    stops: list[MyStopOut]
    breaks: list[BreakOut]
    others: list[MyStopOut]
    """Your jobs of the day the plan does not have yet, at their booked times."""


class ArrivalOut(Api):
    booking_id: str
    start_at: datetime | None
    end_at: datetime | None
    minutes: int | None
    """How wide the window is now; all null while no plan has the booking (or it is not
    accepted yet, or the provider is there)."""
