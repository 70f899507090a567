"""The tenant YAML schema: frozen msgspec Structs; unknown keys are errors.

A vertical's own config block is typed by the plugin (``Vertical.config_type``), so it is kept
raw here and converted by the loader once the installed verticals are known.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

LocalizedText = dict[str, str]
"""Text per locale, e.g. ``{"zh_CN": "洁家到家", "en": "Jiejia Home"}``."""


class Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base for config types: frozen, unknown keys rejected."""


class EnvSecret(Strict, frozen=True, kw_only=True):
    """A secret given as ``{$env: NAME}``: the value is read from the environment, never inline."""

    env: str = msgspec.field(name="$env")


class ThemeChoice(Strict, frozen=True, kw_only=True):
    name: str
    tokens: dict[str, str] = {}
    """Design-token overrides on top of the theme's (e.g. ``color_primary``)."""


class Branding(Strict, frozen=True, kw_only=True):
    logo: str = ""
    """Path of the logo inside the theme's or tenant's static files, or inline SVG file name."""
    tagline: LocalizedText = {}
    support_phone: str = ""


class Commission(Strict, frozen=True, kw_only=True):
    default_bps: int = 1500
    """Platform commission in basis points of the service price (1500 = 15 %)."""
    per_vertical: dict[str, int] = {}


class PaymentMethod(Strict, frozen=True, kw_only=True):
    provider: str
    """Identifier of a payment provider (from the payment-provider hook)."""
    settings: dict[str, str | int | bool | EnvSecret] = {}


class EmailSettings(Strict, frozen=True, kw_only=True):
    """The tenant's SMTP server for the ``email`` notification channel."""

    host: str
    port: int = 587
    sender: str
    """The From address (``noreply@example.com``); the tenant's name is shown with it."""
    username: str = ""
    password: EnvSecret | None = None
    """Only as ``{$env: NAME}``."""
    starttls: bool = True
    timeout_seconds: float = 10.0


class CancellationPolicy(Strict, frozen=True, kw_only=True):
    free_until_hours: int = 24
    late_fee_fen: int = 0


class ProviderPolicy(Strict, frozen=True, kw_only=True):
    display_name: Literal["full", "surname_initial"] = "surname_initial"
    """How providers are named in public: ``王小明`` or ``王师傅``-style surname + initial."""
    identity_recheck_days: int = 365
    """Identity (real name and face) is checked again after this many days."""
    training_required: bool = True
    """Providers pass their vertical's course before activation."""
    certificate_reminder_days: list[int] = msgspec.field(default_factory=lambda: [30, 7, 1])


class BookingPolicy(Strict, frozen=True, kw_only=True):
    travel_buffer_minutes: int = 30
    """Time kept free before and after every job for travel (enforced by the database)."""
    lead_time_minutes: int = 60
    """The earliest a booking may start, from now (urgent requests excepted)."""
    slot_step_minutes: int = 30
    offer_timeout_seconds: int = 60
    """How long a provider has to accept an urgent offer before the next one is asked."""
    urgent_radius_km: list[float] = msgspec.field(default_factory=lambda: [3.0, 6.0, 12.0])
    """The urgent cascade widens through these radii."""
    geofence_m: int = 300
    """"Arrived" is accepted only this close to the address."""
    day_starts: str = "08:00"
    day_ends: str = "21:00"
    district_centres: dict[str, tuple[float, float]] = msgspec.field(default_factory=dict)
    """District name -> its centre ``[lat, lng]`` (WGS-84). A provider whose service area is
    districts only (no circle) sets out from the centre of the job's district when no job
    comes before: the travel time matching counts and keeps free."""
    district_travel_minutes: int = 30
    """Travel assumed for such a provider when the job's district has no centre here."""


class ComplaintDeadline(Strict, frozen=True, kw_only=True):
    first_response_hours: int
    resolution_hours: int


class PenaltyPoints(Strict, frozen=True, kw_only=True):
    """Points a provider collects per event (within ``QualityPolicy.points_window_days``)."""

    late_after_minutes: int = 15
    """Checking in more than this many minutes after the booked start counts as late."""
    lateness: int = 1
    no_show: int = 4
    upheld_complaint: int = 3
    rudeness: int = 3
    """On top of ``upheld_complaint`` when an upheld complaint is about rudeness."""
    failed_spot_check: int = 2


class PenaltyLadder(Strict, frozen=True, kw_only=True):
    """Point totals that lead to each step (0 turns a step off)."""

    warning: int = 5
    suspension: int = 10
    suspension_days: int = 7
    removal: int = 20
    appeal_days: int = 7
    """How long a provider may appeal a step."""


class QualityQuestion(Strict, frozen=True, kw_only=True):
    key: str
    label: LocalizedText
    max_score: int = 5
    """Answers are scored 0..max_score; the form's score is the share of the maximum."""


class QualityPolicy(Strict, frozen=True, kw_only=True):
    """Complaints, penalties and rewards, spot checks, the public quality page."""

    deadlines: dict[str, ComplaintDeadline] = {}
    """Per complaint category (quality, lateness, damage, rudeness, overcharge, safety); a
    category not listed uses ``complaint_first_response_hours``/``complaint_resolution_hours``."""
    reminder_before_minutes: int = 60
    """Staff are reminded this long before a complaint's deadline; escalated after it."""
    reopen_days: int = 14
    """How long after a resolution the customer may reopen the complaint."""
    points: PenaltyPoints = PenaltyPoints()
    points_window_days: int = 90
    ladder: PenaltyLadder = PenaltyLadder()
    bonus_fen: int = 5000
    """Monthly bonus for each provider with the "excellent" badge (0: none)."""
    excellent_share_percent: int = 10
    """The top share of active providers by quality score that gets the badge."""
    excellent_min_jobs: int = 5
    excellent_boost: float = 0.05
    """Added to an excellent provider's quality score in matching (capped at 1)."""
    spot_check_percent: int = 5
    """Share of last week's completed bookings, per vertical, checked (at least one)."""
    callback_percent: int = 50
    """Of the sampled bookings, the share checked by a call-back; the rest on site."""
    spot_check_pass_score: int = 60
    """A spot check scoring below this (out of 100) assigns the vertical's course again."""
    callback_questions: list[QualityQuestion] = []
    """Empty: the built-in questionnaire."""
    inspection_forms: dict[str, list[QualityQuestion]] = {}
    """Per vertical; a vertical not listed uses the built-in form."""
    public_min_sample: int = 5
    """A figure is published only when this many bookings or more stand behind it."""


class SafetyPolicy(Strict, frozen=True, kw_only=True):
    """Location trail, "are you OK?" checks and SOS escalation (``core.safety``)."""

    trail_retention_days: int = 30
    """Positions are purged this long after they were taken, unless an incident holds them."""
    position_max_skew_seconds: int = 600
    """A reported position timestamped further than this from now is refused."""
    no_progress_minutes: int = 15
    """En route: not getting closer to the address for this long raises an "are you OK?"."""
    long_stop_minutes: int = 20
    """En route: standing still (within 50 m) for this long, away from the address."""
    left_site_margin_m: int = 200
    """On site: further than the check-in geofence plus this margin means "left mid-job"."""
    overstay_minutes: int = 90
    """On site this long past the planned end."""
    prompt_answer_minutes: int = 5
    """An unanswered "are you OK?" becomes an incident for the safety officers after this."""
    escalation_minutes: int = 2
    """An incident nobody acknowledged within this goes to the next on-call, then the agency."""
    on_call: list[str] = []
    """Staff e-mail addresses in on-call order (every safety officer is alerted first anyway)."""
    agency_contacts: list[str] = []
    """The agency's safety desk (E.164 phone numbers or e-mail addresses): the last level."""
    sos_countdown_seconds: int = 5
    """The cancellable countdown after the SOS button is pressed (against pocket taps)."""
    emergency_number: str = "110"


class SettlementPolicy(Strict, frozen=True, kw_only=True):
    """When and how providers are paid (``core.ledger.settlement``)."""

    holding_days: int = 7
    """Earnings are paid out only once this many days old (room for refunds and complaints)."""
    min_payout_fen: int = 100
    """Smaller available balances wait for the next run."""
    weekdays: list[int] = msgspec.field(default_factory=lambda: [1])
    """Days the worker runs settlement, ISO numbering (1 = Monday ... 7 = Sunday)."""
    run_after: str = "02:00"
    """Local time (tenant timezone) after which the worker runs settlement on those days."""
    payout_adapter: str = "demo"
    """How money reaches providers; ``demo`` records a reference and moves nothing."""


class DispatchPolicy(Strict, frozen=True, kw_only=True):
    """``policies.dispatch``: day plans and re-planning (core/dispatch)."""

    move_accepted: bool = False
    """May a plan give an accepted job to another provider (its window still kept)?"""
    arrival_tolerance_minutes: int = 15
    """A job booked for 14:00 (no window given) may start until 14:15."""
    max_jobs_per_provider: int = 8
    break_minutes: int = 0
    """A break in each provider's day (0: none), taken within ``break_window``."""
    break_window: list[str] = msgspec.field(default_factory=lambda: ["11:30", "13:30"])
    plan_seconds: float = 5.0
    """Time the solver gets for one day plan."""
    notify_shift_minutes: int = 10
    """Customers and providers hear of a new arrival window when it moves at least this much."""
    osrm_url: str = ""
    """A self-hosted OSRM server (``http://osrm.internal:5000``) for road travel times; empty:
    great-circle distance x road factor at ``travel_speed_kmh``."""


class Policies(Strict, frozen=True, kw_only=True):
    cancellation: CancellationPolicy = CancellationPolicy()
    booking: BookingPolicy = BookingPolicy()
    dispatch: DispatchPolicy = DispatchPolicy()
    complaint_first_response_hours: int = 4
    """Default first-response deadline of a complaint (``quality.deadlines`` per category)."""
    complaint_resolution_hours: int = 72
    providers: ProviderPolicy = ProviderPolicy()
    safety: SafetyPolicy = SafetyPolicy()
    quality: QualityPolicy = QualityPolicy()
    settlement: SettlementPolicy = SettlementPolicy()


class TenantConfig(Strict, frozen=True, kw_only=True):
    """One tenant (one brand). Loaded from ``tenants/<slug>.yaml``."""

    slug: str
    name: LocalizedText
    hosts: list[str]
    locales: list[str] = msgspec.field(default_factory=lambda: ["zh_CN", "en"])
    """Locales offered; the first is the default."""
    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"
    travel_speed_kmh: float = 25.0
    """Average door-to-door speed that turns distance into travel time."""
    theme: ThemeChoice
    branding: Branding = Branding()
    verticals: dict[str, dict[str, Any] | None] = {}
    """Enabled verticals, each with its plugin-typed config block (empty or null: defaults)."""
    commission: Commission = Commission()
    payments: list[PaymentMethod] = []
    notification_channels: list[str] = msgspec.field(default_factory=lambda: ["console"])
    email: EmailSettings | None = None
    """SMTP settings; when given, the ``email`` channel is offered (list it in
    ``notification_channels`` to use it)."""
    policies: Policies = Policies()
    wording: dict[str, dict[str, str]] = {}
    """The tenant's own wording per locale: ``{locale: {source text: tenant text}}``."""

    @property
    def default_locale(self) -> str:
        return self.locales[0]

    def text(self, value: LocalizedText, locale: str) -> str:
        """Pick the text for ``locale``, falling back to the tenant's default, then any."""
        return value.get(locale) or value.get(self.default_locale) or next(iter(value.values()), "")


FIELD_ORDER = tuple(TenantConfig.__struct_fields__)
