"""Catalogue API: ``listServices``, ``getService``, ``quote``. Thin: rules live in service.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException, NotFoundException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from core.catalog import price_lists, service
from core.catalog.pricing import QuoteError
from core.catalog.schemas import ServiceItem
from core.catalog.schemas_api import (
    AddOnOut,
    CategoryOut,
    IntakeFieldOut,
    PriceChangeOut,
    ProblemOut,
    ProblemsOut,
    QuoteIn,
    QuoteLineOut,
    QuoteOut,
    RequirementOut,
    ServiceOut,
    ServiceSummary,
    TierOut,
)
from core.i18n.formatting import format_money
from core.tenancy.model import Tenant
from core.web.context import AppContext
from core.web.tenant import request_locale, request_tenant


def problems_response(exc: QuoteError) -> Response[ProblemsOut]:
    return _problems([ProblemOut(field=p.field, reason=p.reason) for p in exc.problems])


def _problems(problems: list[ProblemOut]) -> Response[ProblemsOut]:
    detail = "; ".join(f"{p.field}: {p.reason}" for p in problems)
    return Response(ProblemsOut(status_code=400, detail=detail, problems=problems), status_code=400)


_ABOUT_A_KEY = re.compile(r"Object (missing required|contains unknown) field `(.+)`")


def request_problems(_: Request[Any, Any, Any], exc: ClientException) -> Response[Any]:
    """A body that is not JSON, or not a quote request: 400 naming ``problems[].field`` like a
    refused quote (``item``, ``when``, ``addons[1]``; ``body`` for the body as a whole)."""
    if exc.status_code != 400:
        return Response(
            {"status_code": exc.status_code, "detail": exc.detail}, status_code=exc.status_code
        )
    if not isinstance(exc, ValidationException):
        return _problems([ProblemOut(field="body", reason=f"not valid JSON: {exc.detail}")])
    found = []
    for message in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(message, dict):
            continue
        key, text = str(message.get("key", "")), str(message.get("message", ""))
        if about := _ABOUT_A_KEY.fullmatch(text):
            key = about.group(2)
            text = "is required" if about.group(1) == "missing required" else "unknown field"
        elif key in ("", "data"):
            key = "body"
            text = text if text.startswith("Expected") else "a JSON object is required"
        found.append(ProblemOut(field=key, reason=text.replace("`", "'")))
    return _problems(found or [ProblemOut(field="body", reason="not a valid quote request")])


def service_out(
    app_context: AppContext, tenant: Tenant, item: ServiceItem, prices: price_lists.PriceList
) -> ServiceOut:
    requirements = service.item_requirements(app_context.plugins, tenant, item)
    refs = {f"{item.ref}.{t.key}": t.key for t in item.tiers}
    return ServiceOut(
        ref=item.ref,
        vertical=item.vertical,
        key=item.key,
        label=item.label,
        description=item.description,
        tiers=[
            TierOut(
                key=t.key,
                label=t.label,
                unit=t.unit,
                price_fen=service.current_price(item, t.key, prices.prices),
                price_min_fen=t.price_min_fen,
                price_max_fen=t.price_max_fen,
                duration_minutes=t.duration_minutes,
                minutes_per_unit=t.minutes_per_unit,
                quantity_field=t.quantity_field,
                contents=t.contents,
                excluded=t.excluded,
            )
            for t in item.tiers
        ],
        intake=[
            IntakeFieldOut(
                key=f.key,
                label=f.label,
                kind=f.kind,
                required=f.required,
                minimum=f.minimum,
                maximum=f.maximum,
                choices=f.choices,
                unit=f.unit,
                only_tiers=f.only_tiers,
                default=f.default,
            )
            for f in item.intake
        ],
        addons=[
            AddOnOut(
                key=a.key, label=a.label, price_fen=a.price_fen, duration_minutes=a.duration_minutes
            )
            for a in item.addons
        ],
        requirements=[RequirementOut(code=r.code, label=r.label) for r in requirements],
        price_list_version=prices.version,
        recent_price_changes=[
            PriceChangeOut(
                tier=refs[c.tier_ref],
                old_fen=c.old_fen,
                new_fen=c.new_fen,
                effective_at=c.effective_at,
            )
            for c in prices.recent_changes
            if c.tier_ref in refs
        ],
    )


class CatalogApi(Controller):
    path = "/api/v1"
    tags = ["catalogue"]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    @get("/services", operation_id="listServices", summary="Services this tenant offers")
    async def list_services(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> list[CategoryOut]:
        """Categories with their services and "from" prices at the prices in force now."""
        app_context: AppContext = request.app.state.doorstep
        catalog = app_context.catalog(tenant)
        prices = await price_lists.price_list(tenant, datetime.now(UTC))
        out = []
        for category in catalog.categories:
            summaries = []
            for item in category.items:
                fen, unit = service.lowest_price(item, prices.prices)
                summaries.append(
                    ServiceSummary(
                        ref=item.ref,
                        vertical=item.vertical,
                        category=category.key,
                        label=item.label,
                        description=item.description,
                        from_price_fen=fen,
                        unit=unit,
                    )
                )
            out.append(
                CategoryOut(
                    key=category.key,
                    vertical=category.vertical,
                    label=category.label,
                    services=summaries,
                )
            )
        return out

    @get(
        "/services/{vertical:str}/{item:str}",
        operation_id="getService",
        summary="One service: tiers, contents, price band, questions, add-ons",
    )
    async def get_service(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        vertical: FromPath[str],
        item: FromPath[str],
    ) -> ServiceOut:
        app_context: AppContext = request.app.state.doorstep
        found = app_context.catalog(tenant).item(f"{vertical}.{item}")
        if found is None:
            raise NotFoundException()
        prices = await price_lists.price_list(tenant, datetime.now(UTC))
        return service_out(app_context, tenant, found, prices)

    @post(
        "/quote",
        operation_id="quote",
        summary="Price a service: itemised, in fen",
        status_code=200,
        responses={
            400: ResponseSpec(
                data_container=ProblemsOut, description="Problems, each naming its field"
            )
        },
        exception_handlers={ClientException: request_problems},
    )
    async def quote(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        data: JSONBody[QuoteIn],
    ) -> Response[Any]:
        """The itemised price of a service now: base, add-ons, each adjustment with its reason."""
        app_context: AppContext = request.app.state.doorstep
        try:
            result = await service.quote_now(
                app_context.plugins,
                tenant,
                app_context.catalog(tenant),
                item=data.item,
                tier=data.tier,
                intake=data.intake,
                when=data.when,
                addons=data.addons,
            )
        except QuoteError as exc:
            return problems_response(exc)
        locale = request_locale(request, tenant)
        return Response(
            QuoteOut(
                item=result.item,
                tier=result.tier,
                intake=result.intake,
                addons=result.addons,
                when=result.when,
                urgent=result.urgent,
                unit_price_fen=result.unit_price_fen,
                quantity=result.quantity,
                lines=[
                    QuoteLineOut(
                        code=line.code, kind=line.kind, label=line.label, amount_fen=line.amount_fen
                    )
                    for line in result.lines
                ],
                total_fen=result.total_fen,
                currency=result.currency,
                duration_minutes=result.duration_minutes,
                price_list_version=result.price_list_version,
                total_text=format_money(result.total_fen, result.currency, locale),
            )
        )
