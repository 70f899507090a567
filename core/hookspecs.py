# mypy: disable-error-code="empty-body"
"""Every Doorstep hook, in one file.

Hooks are synchronous and pure: they return values (frozen msgspec Structs, or adapter objects
whose async methods core awaits) and never mutate their arguments. Tenant-scoped hooks are
called through ``core.plugins.TenantHooks``, which leaves out the verticals the tenant has not
enabled; hooks without a ``tenant`` argument are called once for the whole install.

pluggy calls implementations most recently registered first (``tryfirst``/``trylast`` aside):
core's defaults, then installed plugins, then extra plugins are registered, so list results
arrive in the reverse of that order and a firstresult hook stops at the newest plugin that
answers. Implementations returning None are left out of list results.

Every hook here is documented with its exact signature in ``docs/hooks.md`` and has a test
named ``test_hook_<name>`` (both checked by ``tests/contracts``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import typer
    from litestar.types import ControllerRouterHandler

    from core.booking.schemas import BookingDraft, BookingEvent, ValidationProblem
    from core.catalog.schemas import (
        Category,
        IntakeField,
        PriceAdjustment,
        QuoteRequest,
        ServiceItem,
        Vertical,
    )
    from core.dispatch.schemas import Geocoder, RouteSolver, TravelTimeEstimator
    from core.matching.schemas import MatchCandidate, ScoreAdjustment
    from core.money import Money
    from core.notifications.channels import NotificationChannel
    from core.payments.provider import PaymentProvider
    from core.tenancy.model import Tenant
    from core.verification.schemas import (
        CertificationCheck,
        CertificationRequirement,
        Course,
        IdentityVerifier,
    )

PROJECT = "doorstep"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -------------------------------------------------------------------------------------------
# Verticals
# -------------------------------------------------------------------------------------------


@hookspec
def register_vertical() -> Vertical | None:
    """Declare the vertical a plugin provides: slug, label per locale, typed config block.

    Called once when the plugin manager is built. Every non-None result is a vertical; two
    plugins declaring the same slug is a start-up error.
    """


# -------------------------------------------------------------------------------------------
# Catalogue
# -------------------------------------------------------------------------------------------


@hookspec
def service_taxonomy(tenant: Tenant) -> list[Category]:
    """Return the categories, items and tiers a vertical offers to ``tenant``.

    Called when the tenant's catalogue is built (at start-up and after a price change), only
    for enabled verticals. Results are concatenated, most recently registered plugin first.
    """


@hookspec
def intake_fields(tenant: Tenant, item: ServiceItem) -> list[IntakeField]:
    """Return extra questions to ask when booking ``item`` (e.g. the appliance's brand).

    Called when the booking form for an item is built. Results are concatenated after the
    item's own intake fields; a key already present is an error.
    """


# -------------------------------------------------------------------------------------------
# Pricing
# -------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def base_price(tenant: Tenant, request: QuoteRequest) -> Money | None:
    """Return the base price of the request, or None if the item is not this plugin's.

    Called by ``quote()``. Stops at the first non-None result (the owning vertical answers);
    core's default (``trylast``) answers last: the tier's list price per unit x quantity.
    """


@hookspec
def price_adjustments(tenant: Tenant, request: QuoteRequest, base: Money) -> list[PriceAdjustment]:
    """Return explicit adjustments (surcharges, discounts, minimum charge top-ups).

    Called by ``quote()`` after ``base_price``. All results are concatenated and core applies
    them in ``priority`` order; each is shown to the customer with its reason.
    """


# -------------------------------------------------------------------------------------------
# Certification and identity verification
# -------------------------------------------------------------------------------------------


@hookspec
def required_certifications(tenant: Tenant, item: ServiceItem) -> list[CertificationRequirement]:
    """Return the certificates a provider needs to be offered ``item``.

    Called when eligibility for an item is computed. Results are concatenated with the
    item's own requirements; duplicates by ``code`` count once.
    """


@hookspec
def certification_checks(tenant: Tenant) -> list[CertificationCheck]:
    """Return the checks a vertical runs on provider evidence (e.g. the police filing).

    Called when a provider submits evidence and when re-verification is due. Concatenated;
    each check's ``code`` is prefixed with the plugin slug.
    """


@hookspec
def identity_verifiers(tenant: Tenant) -> list[IdentityVerifier]:
    """Return e-KYC adapters (real-name match, face match) available to ``tenant``.

    Called when a provider starts verification. Concatenated; the tenant's config picks one.
    """


@hookspec
def training_courses(tenant: Tenant) -> list[Course]:
    """Return the courses (lessons and a quiz with a pass mark) a vertical's providers take.

    Called when a provider's onboarding is built and when a quiz is marked. Concatenated;
    course keys are prefixed with the plugin slug. Passing is required before activation
    when the tenant's ``policies.providers.training_required`` is on.
    """


# -------------------------------------------------------------------------------------------
# Matching and booking
# -------------------------------------------------------------------------------------------


@hookspec
def validate_booking(tenant: Tenant, draft: BookingDraft) -> list[ValidationProblem]:
    """Return problems with a booking about to be created (e.g. a minor without a guardian).

    Called before the booking is written. All problems are concatenated; any problem rejects
    the booking with a 4xx naming each field.
    """


@hookspec
def match_score_adjustments(tenant: Tenant, candidate: MatchCandidate) -> list[ScoreAdjustment]:
    """Return ranking adjustments for one candidate provider.

    Called for each eligible candidate while ranking. Concatenated; deltas are added to the
    base score and each appears in the candidate's score explanation.
    """


@hookspec
def booking_event(tenant: Tenant, event: BookingEvent) -> None:
    """Observe a committed booking transition. Return value ignored; every plugin is called.

    Called by the outbox relay (at least once; dedupe on ``event.event_id``).
    """


# -------------------------------------------------------------------------------------------
# Notifications and payments
# -------------------------------------------------------------------------------------------


@hookspec
def notification_channels(tenant: Tenant) -> list[NotificationChannel]:
    """Return channel adapters (console, email, SMS) this tenant may use.

    Called when the notifier is built for a tenant. Concatenated; core contributes the
    ``console`` channel (and ``email`` when the tenant YAML has an ``email:`` block). The tenant
    YAML's ``notification_channels`` picks which are used, in order of fallback.
    """


@hookspec
def payment_providers(tenant: Tenant) -> list[type[PaymentProvider]]:
    """Return payment-provider classes (WeChat Pay, Alipay, card, cash).

    Called when checkout lists methods. Concatenated; the tenant YAML's ``payments`` enables
    and configures them by ``identifier``.
    """


# -------------------------------------------------------------------------------------------
# Dispatch and geography
# -------------------------------------------------------------------------------------------


@hookspec
def geocoders(tenant: Tenant) -> list[Geocoder]:
    """Return geocoders turning address text into a WGS-84 point.

    Called when an address needs a point. Concatenated, most recently registered plugin first;
    they are tried in that order until one answers (``Geocoder.locate`` gives the district too).
    Core's demo geocoder, which knows the demo cities' streets, is tried last.
    """


@hookspec(firstresult=True)
def travel_time_estimator(tenant: Tenant) -> TravelTimeEstimator | None:
    """Return the travel-time adapter for ``tenant`` (e.g. a self-hosted OSRM server).

    Stops at the first non-None result; core's default (great circle) answers last.
    """


@hookspec(firstresult=True)
def route_solver(tenant: Tenant) -> RouteSolver | None:
    """Return the solver that plans a day's routes. Stops at the first non-None result;
    core's default (``KitSolver``: PyVRP, or VROOM for skills, pins and breaks) answers last.
    """


# -------------------------------------------------------------------------------------------
# Web, themes and CLI
# -------------------------------------------------------------------------------------------


@hookspec
def theme_context(tenant: Tenant, template_name: str, locale: str) -> dict[str, Any]:
    """Return extra variables for a template about to be rendered for ``tenant``.

    Called on every page render. Results are merged key by key: where several plugins set a
    key, the first result wins, i.e. the most recently registered plugin's value. Core's
    template globals (``tenant``, ``brand``, ``locale``...) and the page's own context always
    win over any plugin.
    """


@hookspec
def register_routes() -> list[ControllerRouterHandler]:
    """Return Litestar routers or controllers a plugin serves.

    Called once when the app is built. Each plugin's handlers are mounted under
    ``/v/<slug>`` and answer 404 on tenants that have not enabled the vertical. Only vertical
    plugins may register routes: one that declares no vertical stops ``create_app()``.
    """


@hookspec
def register_cli_commands() -> list[typer.Typer]:
    """Return Typer apps, each with a ``name``, added as ``doorstep <name> ...``.

    Called once when the CLI starts. A Typer without a name, or whose name clashes with a
    core command, is left out with a warning on stderr; the core command stays.
    """
