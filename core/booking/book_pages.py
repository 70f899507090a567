"""The customer's "book" step, on one phone screen: the address (saved addresses), the day (the
next 14), a start time (with how many providers can come) and "best available" or a chosen
provider, then confirm at the quoted price. Changing a choice refreshes the choices below it
in place (``?partial=1``); the rules are ``planning``'s and ``creation.create_booking``'s."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from core.accounts import profile as accounts
from core.accounts.forms import signed_in_user, tenant_id_of
from core.booking import creation, planning, service
from core.booking.forms import (
    Params,
    Wording,
    carried,
    item_from,
    local_day,
    local_moment,
    moment,
    one,
    wordings,
)
from core.booking.lists import ProviderCard, provider_cards
from core.booking.service import BookingError, ItemRequest
from core.catalog.pricing import Quote, QuoteProblem
from core.catalog.schemas import ServiceItem
from core.tenancy.model import Tenant
from core.web.auth import require_kind
from core.web.templating import render_page
from core.web.tenant import request_tenant

BEST = "best"


@dataclass(frozen=True)
class DayChoice:
    value: date
    noon: datetime
    """Midday of that day, for formatting its name in the visitor's language."""
    offset: int
    """0 today, 1 tomorrow..."""


@dataclass(frozen=True)
class Offer:
    """A provider who can come at the chosen start, as the customer sees them."""

    card: ProviderCard
    distance_km: float
    travel_minutes: float


@dataclass
class Choices:
    addresses: list[accounts.AddressView]
    address_id: str
    days: list[DayChoice]
    day: date
    slots: list[tuple[datetime, int]] = field(default_factory=list)
    start: datetime | None = None
    offers: list[Offer] = field(default_factory=list)
    provider: str = BEST
    quotes: list[Quote] = field(default_factory=list)
    problems: list[Wording] = field(default_factory=list)

    @property
    def total_fen(self) -> int | None:
        return sum(q.total_fen for q in self.quotes) if self.quotes else None

    @property
    def duration_minutes(self) -> int:
        return sum(q.duration_minutes for q in self.quotes)

    @property
    def ready(self) -> bool:
        return self.start is not None and bool(self.offers) and not self.problems


def _day_choices(tenant: Tenant, now: datetime) -> list[DayChoice]:
    tz = ZoneInfo(tenant.config.timezone)
    return [
        DayChoice(day, datetime.combine(day, datetime.min.time(), tz) + timedelta(hours=12), n)
        for n, day in enumerate(planning.bookable_days(tenant, now))
    ]


class BookPages(Controller):
    path = "/book"
    include_in_schema = False
    guards = [require_kind("customer", "provider")]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    def _item(self, request: Request[Any, Any, Any], tenant: Tenant, ref: str) -> ServiceItem:
        found = request.app.state.doorstep.catalog(tenant).item(ref)
        if found is None:
            raise NotFoundException()
        return found

    async def _choices(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        tenant_id: str,
        wanted: ItemRequest,
        params: Params,
        now: datetime,
    ) -> Choices:
        app_context = request.app.state.doorstep
        plugins, catalog = app_context.plugins, app_context.catalog(tenant)
        user = signed_in_user(request)
        book = await accounts.addresses(user.id, tenant_id)
        located = [a for a in book if a.located]
        chosen = one(params, "address")
        address_id = chosen if any(a.id == chosen for a in located) else ""
        if not address_id and located:
            address_id = located[0].id
        days = _day_choices(tenant, now)
        # The time asked for on the service page, if any, is the first guess.
        asked = local_moment(tenant, one(params, "when"))
        tz = ZoneInfo(tenant.config.timezone)
        day = local_day(one(params, "day"), asked.astimezone(tz).date() if asked else days[0].value)
        if day not in {d.value for d in days}:
            day = days[0].value
        choices = Choices(addresses=book, address_id=address_id, days=days, day=day)
        provider = one(params, "provider") or BEST
        try:
            choices.quotes = await planning.quotes_for(
                plugins, tenant, catalog, [wanted], None, now
            )
            if not address_id:
                return choices
            place = await planning.saved_place(user.id, tenant_id, address_id)
            _, choices.slots = await planning.open_slots(
                plugins, tenant, tenant_id, catalog, [wanted], place, day, now=now
            )
            start = moment(one(params, "start")) or asked
            if start is None or start not in {s for s, _ in choices.slots}:
                return choices
            choices.start = start
            choices.quotes, ranked = await planning.find_providers(
                plugins, tenant, tenant_id, catalog, [wanted], place, start, now
            )
        except BookingError as exc:
            choices.problems = wordings(exc.problems)
            return choices
        cards = await provider_cards(tenant, tenant_id, [c.provider_id for c in ranked], now)
        choices.offers = [
            Offer(cards[c.provider_id], c.distance_km, c.travel_minutes)
            for c in ranked
            if c.provider_id in cards
        ]
        ids = {o.card.id for o in choices.offers}
        choices.provider = provider if provider in ids else BEST
        return choices

    def _render(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        item: ServiceItem,
        wanted: ItemRequest,
        choices: Choices,
        partial: bool = False,
        status_code: int = 200,
    ) -> Response[Any]:
        context = {
            "item": item,
            "wanted": wanted,
            "tier": item.tier(wanted.tier),
            "carried": carried(wanted),
            "c": choices,
            "best": BEST,
        }
        name = "booking/_choices.html" if partial else "booking/book.html"
        response = render_page(request, tenant, name, context, status_code)
        response.headers["cache-control"] = "no-store"
        return response

    @get("/{vertical:str}/{item_key:str}")
    async def book(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        vertical: FromPath[str],
        item_key: FromPath[str],
    ) -> Response[Any]:
        item = self._item(request, tenant, f"{vertical}.{item_key}")
        wanted = item_from(request.query_params, item)
        tenant_id = await tenant_id_of(tenant)
        now = datetime.now(UTC)
        choices = await self._choices(request, tenant, tenant_id, wanted, request.query_params, now)
        partial = one(request.query_params, "partial") == "1"
        return self._render(request, tenant, item, wanted, choices, partial)

    @post("/{vertical:str}/{item_key:str}")
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        vertical: FromPath[str],
        item_key: FromPath[str],
    ) -> Response[Any]:
        item = self._item(request, tenant, f"{vertical}.{item_key}")
        form = await request.form()
        wanted = item_from(form, item)
        user = signed_in_user(request)
        tenant_id = await tenant_id_of(tenant)
        app_context = request.app.state.doorstep
        provider = one(form, "provider")
        try:
            place = await planning.saved_place(user.id, tenant_id, one(form, "address"))
            start = moment(one(form, "start"))
            if start is None:
                raise BookingError([QuoteProblem("starts_at", "choose a time")])
            booking_id = await creation.create_booking(
                app_context.plugins,
                tenant,
                tenant_id,
                app_context.catalog(tenant),
                user.id,
                service.BookingRequest(
                    items=[wanted],
                    starts_at=start,
                    address=place.address,
                    point=place.point,
                    district=place.district,
                    provider_id=provider if provider and provider != BEST else None,
                    note=one(form, "note")[:500],
                ),
            )
        except BookingError as exc:
            now = datetime.now(UTC)
            choices = await self._choices(request, tenant, tenant_id, wanted, form, now)
            choices.problems = wordings(exc.problems)
            return self._render(request, tenant, item, wanted, choices, status_code=exc.status_code)
        return Redirect(path=f"/bookings/{booking_id}?done=booked", status_code=303)
