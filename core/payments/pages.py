"""The customer's payment pages: checkout (choose a method), the result (paid, waiting, or
closed; a WeChat Pay QR code while waiting), the receipt (PDF) and the invoice (the title and
tax id the customer gives, then a PDF). Mobile-first, zh-CN and
English. Thin: ``service`` decides what can be paid, ``views`` who may see what."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import segno
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from core.accounts.forms import signed_in_user, tenant_id_of
from core.booking.states import CUSTOMER
from core.payments import service
from core.payments.api import base_url, methods_of
from core.payments.clock import utc_now
from core.payments.gateways import is_standin
from core.payments.invoices import invoice_of, save_invoice
from core.payments.receipts import receipt_pdf
from core.payments.refunds import refunds_of
from core.payments.service import PaymentError
from core.payments.views import payment_for
from core.tenancy.model import Tenant
from core.web.auth import require_kind
from core.web.templating import render_page
from core.web.tenant import request_locale, request_tenant


def _private(response: Response[Any]) -> Response[Any]:
    response.headers["cache-control"] = "no-store"
    return response


def qr_svg(payload: str) -> str:
    out = io.BytesIO()
    segno.make(payload, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False)
    return out.getvalue().decode()


def service_name(
    request: Request[Any, Any, Any], tenant: Tenant, booking: dict[str, Any], locale: str
) -> str:
    """The booked item's name in the customer's language (the first item of the booking)."""
    items = booking.get("items") or []
    if isinstance(items, str):
        items = json.loads(items)
    ref = str(items[0].get("item", "")) if items and isinstance(items[0], dict) else ""
    item = request.app.state.doorstep.catalog(tenant).item(ref) if ref else None
    return tenant.config.text(item.label, locale) if item is not None else booking["vertical"]


class PaymentPages(Controller):
    path = "/pay"
    include_in_schema = False
    guards = [require_kind("customer", "provider")]
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    async def _checkout(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        booking_id: uuid.UUID,
        problem: str = "",
        status_code: int = 200,
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        user = signed_in_user(request)
        try:
            booking = await service.load_booking(tenant_id, booking_id)
        except LookupError:
            raise NotFoundException() from None
        if str(booking["customer"]) != user.id:
            raise NotFoundException()
        paid = await service.is_paid(tenant_id, booking["id"])
        payable = booking["status"] in service.PAYABLE_STATES and booking["provider"] is not None
        methods = methods_of(request, tenant)
        context = {
            "booking": booking,
            "methods": list(methods.values()),
            "paid": paid,
            "payable": payable,
            "problem": problem,
            "payments": await service.payments_of_booking(tenant_id, booking["id"]),
            "service": service_name(request, tenant, booking, request_locale(request, tenant)),
        }
        page = render_page(request, tenant, "payments/checkout.html", context, status_code)
        return _private(page)

    @get("/{booking_id:uuid}")
    async def checkout(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        return await self._checkout(request, tenant, booking_id)

    @post("/{booking_id:uuid}")
    async def pay(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        form = await request.form()
        method = str(form.get("method") or "")
        try:
            payment, checkout = await service.start_payment(
                methods_of(request, tenant),
                tenant,
                tenant_id,
                booking_id,
                signed_in_user(request).id,
                method,
                description=tenant.name(request_locale(request, tenant)),
                base_url=base_url(request),
                now=utc_now(),
            )
        except LookupError:
            raise NotFoundException() from None
        except PaymentError as exc:
            return await self._checkout(request, tenant, booking_id, exc.field, exc.status_code)
        if checkout.redirect_url and not checkout.qr_payload:
            return Redirect(path=checkout.redirect_url, status_code=303)
        return Redirect(path=f"/pay/result/{payment['id']}", status_code=303)

    @get("/result/{payment_id:uuid}")
    async def result(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        payment_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        tenant_id = await tenant_id_of(tenant)
        try:
            payment, booking, actor = await payment_for(
                tenant_id, payment_id, signed_in_user(request)
            )
        except LookupError:
            raise NotFoundException() from None
        if actor.role != CUSTOMER:
            raise NotFoundException()
        provider = methods_of(request, tenant).get(payment["method"])
        qr = ""
        if payment["status"] == "pending" and payment["method"] == "wechat_pay":
            qr = qr_svg(payment["gateway_ref"] or payment["out_trade_no"])
        context = {
            "payment": payment,
            "booking": booking,
            "method": provider,
            "qr": qr,
            "standin": provider is not None and is_standin(provider),
        }
        return _private(render_page(request, tenant, "payments/result.html", context))

    async def _captured(
        self, request: Request[Any, Any, Any], tenant: Tenant, payment_id: uuid.UUID
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """The signed-in customer's captured payment and its booking; 404 otherwise."""
        tenant_id = await tenant_id_of(tenant)
        try:
            payment, booking, actor = await payment_for(
                tenant_id, payment_id, signed_in_user(request)
            )
        except LookupError:
            raise NotFoundException() from None
        if actor.role != CUSTOMER or payment["status"] != "captured":
            raise NotFoundException()
        return tenant_id, payment, booking

    async def _pdf(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        payment_id: uuid.UUID,
        *,
        invoice: bool,
    ) -> Response[Any]:
        tenant_id, payment, booking = await self._captured(request, tenant, payment_id)
        details = None
        if invoice:
            details = await invoice_of(tenant_id, payment["id"])
            if details is None:
                raise NotFoundException()
        locale = request_locale(request, tenant)
        provider = methods_of(request, tenant).get(payment["method"])
        refunds = [
            r for r in await refunds_of(tenant_id, payment["id"]) if r["status"] == "succeeded"
        ]
        pdf = receipt_pdf(
            tenant,
            locale,
            payment,
            booking,
            service_name(request, tenant, booking, locale),
            provider,
            refunds,
            details,
        )
        response = Response(pdf, media_type="application/pdf")
        kind = "invoice" if invoice else "receipt"
        response.headers["content-disposition"] = (
            f'inline; filename="{kind}-{payment["out_trade_no"][:12]}.pdf"'
        )
        return _private(response)

    @get("/receipt/{payment_id:uuid}")
    async def receipt(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        payment_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        return await self._pdf(request, tenant, payment_id, invoice=False)

    async def _invoice_form(
        self,
        request: Request[Any, Any, Any],
        tenant: Tenant,
        payment_id: uuid.UUID,
        given: dict[str, str] | None = None,
        problem: str = "",
    ) -> Response[Any]:
        tenant_id, payment, booking = await self._captured(request, tenant, payment_id)
        saved = await invoice_of(tenant_id, payment["id"])
        values = given or {
            "kind": saved["kind"] if saved else "personal",
            "title": saved["title"] if saved else "",
            "tax_id": saved["tax_id"] if saved else "",
        }
        context = {
            "payment": payment,
            "booking": booking,
            "saved": saved is not None and given is None,
            "values": values,
            "problem": problem,
        }
        page = render_page(
            request, tenant, "payments/invoice.html", context, 400 if problem else 200
        )
        return _private(page)

    @get("/invoice/{payment_id:uuid}")
    async def invoice_form(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        payment_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        return await self._invoice_form(request, tenant, payment_id)

    @post("/invoice/{payment_id:uuid}")
    async def give_invoice(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        payment_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        tenant_id, payment, _ = await self._captured(request, tenant, payment_id)
        form = await request.form()
        given = {name: str(form.get(name) or "") for name in ("kind", "title", "tax_id")}
        try:
            await save_invoice(
                tenant_id,
                payment["id"],
                signed_in_user(request).id,
                given["kind"],
                given["title"],
                given["tax_id"],
                now=utc_now(),
            )
        except LookupError:
            raise NotFoundException() from None
        except PaymentError as exc:
            return await self._invoice_form(request, tenant, payment_id, given, exc.field)
        return Redirect(path=f"/pay/invoice/{payment['id']}", status_code=303)

    @get("/invoice/{payment_id:uuid}/pdf")
    async def invoice_pdf(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        payment_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        return await self._pdf(request, tenant, payment_id, invoice=True)
