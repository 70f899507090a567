"""Payments API v1: start paying a booking, follow a payment, refund it (staff), confirm cash
(the booking's provider or staff); and the gateways' notification endpoint (public, no CSRF,
the tenant by host). Thin: the rules live in ``service`` and ``refunds``."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.handlers import get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from core.accounts.forms import signed_in_user, tenant_id_of
from core.booking.states import PROVIDER, STAFF
from core.catalog.schemas_api import ProblemOut, ProblemsOut
from core.payments import service
from core.payments.clock import utc_now
from core.payments.gateways import enabled_methods
from core.payments.provider import NotificationRejected, PaymentProvider
from core.payments.refunds import refund_payment
from core.payments.schemas import CreatePaymentIn, PaymentOut, RefundIn, RefundOut
from core.payments.service import PaymentError
from core.payments.views import payment_for, payment_out
from core.tenancy.model import Tenant
from core.web.auth import require_roles, signed_in
from core.web.tenant import request_tenant

REFUSALS = {
    400: ResponseSpec(data_container=ProblemsOut, description="Bad input, naming the field"),
    404: ResponseSpec(data_container=ProblemsOut, description="No such payment of yours"),
    409: ResponseSpec(data_container=ProblemsOut, description="Not allowed in this state"),
    502: ResponseSpec(data_container=ProblemsOut, description="The gateway did not answer"),
}
REFUND_ROLES = ("admin", "support")


def methods_of(request: Request[Any, Any, Any], tenant: Tenant) -> dict[str, PaymentProvider]:
    app_context = request.app.state.doorstep
    return enabled_methods(app_context.settings, app_context.plugins, tenant)


def base_url(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


def refused(_: Request[Any, Any, Any], exc: PaymentError) -> Response[ProblemsOut]:
    return Response(
        ProblemsOut(
            status_code=exc.status_code,
            detail=f"{exc.field}: {exc.reason}",
            problems=[ProblemOut(field=exc.field, reason=exc.reason)],
        ),
        status_code=exc.status_code,
    )


class PaymentApi(Controller):
    path = "/api/v1"
    tags = ["payments"]
    guards = [signed_in]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}
    exception_handlers = {PaymentError: refused}

    @post(
        "/bookings/{booking_id:uuid}/payments",
        operation_id="createPayment",
        summary="Start paying your booking with one of the tenant's methods",
        status_code=201,
        responses=REFUSALS,
    )
    async def create_payment(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
        data: JSONBody[CreatePaymentIn],
    ) -> PaymentOut:
        tenant_id = await tenant_id_of(tenant)
        user = signed_in_user(request)
        try:
            payment, checkout = await service.start_payment(
                methods_of(request, tenant),
                tenant,
                tenant_id,
                booking_id,
                user.id,
                data.method,
                description=tenant.name(tenant.config.default_locale),
                base_url=base_url(request),
                now=utc_now(),
            )
        except LookupError:
            raise NotFoundException() from None
        return await payment_out(tenant_id, payment, checkout)

    @get(
        "/payments/{payment_id:uuid}",
        operation_id="getPayment",
        summary="A payment of your booking (customer, provider or staff)",
        responses=REFUSALS,
    )
    async def get_payment(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        payment_id: FromPath[uuid.UUID],
    ) -> PaymentOut:
        tenant_id = await tenant_id_of(tenant)
        try:
            payment, _, _ = await payment_for(tenant_id, payment_id, signed_in_user(request))
        except LookupError:
            raise NotFoundException() from None
        return await payment_out(tenant_id, payment)

    @post(
        "/payments/{payment_id:uuid}/refunds",
        operation_id="refundPayment",
        summary="Refund a captured payment, fully or partly, to its original method (staff)",
        status_code=201,
        guards=[require_roles(*REFUND_ROLES)],
        responses=REFUSALS,
    )
    async def refund(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        payment_id: FromPath[uuid.UUID],
        data: JSONBody[RefundIn],
    ) -> RefundOut:
        tenant_id = await tenant_id_of(tenant)
        try:
            row = await refund_payment(
                methods_of(request, tenant),
                tenant,
                tenant_id,
                payment_id,
                data.amount_fen,
                reason=data.reason,
                staff_id=signed_in_user(request).id,
                base_url=base_url(request),
                now=utc_now(),
            )
        except LookupError:
            raise NotFoundException() from None
        return RefundOut(
            id=str(row["id"]),
            amount_fen=int(row["amount_fen"]),
            status=row["status"],
            created_at=row["created_at"],
        )

    @post(
        "/payments/{payment_id:uuid}/cash",
        operation_id="confirmCashPayment",
        summary="Confirm the cash for a booking was collected (its provider, or staff)",
        status_code=200,
        responses=REFUSALS,
    )
    async def confirm_cash(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        payment_id: FromPath[uuid.UUID],
    ) -> PaymentOut:
        tenant_id = await tenant_id_of(tenant)
        try:
            payment, _, actor = await payment_for(tenant_id, payment_id, signed_in_user(request))
            if actor.role not in {PROVIDER, STAFF}:
                raise PermissionDeniedException("only the provider or staff confirm cash")
            provider = methods_of(request, tenant).get("cash")
            if provider is None:
                raise PaymentError("method", "cash is not offered here", 409)
            await service.confirm_cash(
                provider, tenant, tenant_id, payment_id, actor, now=utc_now()
            )
            payment = await service.load_payment(tenant_id, payment_id)
        except LookupError:
            raise NotFoundException() from None
        return await payment_out(tenant_id, payment)


@post(
    "/payments/notify/{method:str}",
    include_in_schema=False,
    status_code=200,
    name="payment_notification",
)
async def payment_notification(
    request: Request[Any, Any, Any], method: FromPath[str]
) -> Response[bytes]:
    """A gateway's asynchronous notification. Answered as the gateway's documentation says;
    a message that does not check out is refused (and logged as a security event)."""
    tenant = request_tenant(request)
    provider = methods_of(request, tenant).get(method)
    if provider is None or not provider.notification_path:
        raise NotFoundException()
    tenant_id = await tenant_id_of(tenant)
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    client = request.client.host if request.client else ""
    try:
        await service.take_notification(
            provider, tenant, tenant_id, headers, body, now=utc_now(), client=client
        )
    except NotificationRejected as exc:
        reply = provider.reply(False, exc.reason)
    else:
        reply = provider.reply(True)
    return Response(reply.body, status_code=reply.status_code, media_type=reply.media_type)
