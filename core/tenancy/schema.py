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


class Policies(Strict, frozen=True, kw_only=True):
    cancellation: CancellationPolicy = CancellationPolicy()
    booking: BookingPolicy = BookingPolicy()
    complaint_first_response_hours: int = 4
    complaint_resolution_hours: int = 72
    providers: ProviderPolicy = ProviderPolicy()


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
