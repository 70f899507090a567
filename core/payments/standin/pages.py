"""The stand-in gateways' customer-facing pages, on the tenant's own host (demo only): a
"WeChat" page with the QR code and a 确认支付 button, an "Alipay" cashier, a hosted card page.
Confirming marks the order paid at the stand-in and sends the kit the gateway's signed (and,
for WeChat Pay, encrypted) notification through the kit's real notification endpoint, then
returns the browser to the result page.

Answers 404 unless the tenant's method runs in ``mode: standin`` and the host is a local one
(``*.localhost``, ``127.0.0.1``): never part of a production site.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from core.payments.api import methods_of
from core.payments.gateways import is_standin
from core.payments.pages import qr_svg
from core.payments.provider import NotificationRejected, PaymentProvider
from core.payments.standin import gateway as standin
from core.payments.standin import notices
from core.tenancy.model import Tenant
from core.web.auth import is_local_host
from core.web.templating import render_page
from core.web.tenant import request_tenant


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) < 12 or len(digits) != len([c for c in number if not c.isspace()]):
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


async def deliver(
    request: Request[Any, Any, Any], url: str, headers: dict[str, str], body: bytes
) -> int:
    """Post a notification to the kit the way the gateway would (in-process: the demo needs
    no network), to the notify URL the kit gave the gateway."""
    target = httpx.URL(url)
    transport = httpx.ASGITransport(app=request.app)  # type: ignore[arg-type]
    host = request.headers.get("host", "")
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
        answer = await client.post(target.raw_path.decode(), content=body, headers=headers)
    return answer.status_code


class StandinPages(Controller):
    path = "/standin"
    include_in_schema = False
    dependencies = {"tenant": Provide(request_tenant, sync_to_thread=False)}

    def _method(self, request: Request[Any, Any, Any], tenant: Tenant, name: str) -> Any:
        provider = methods_of(request, tenant).get(name)
        if (
            provider is None
            or not is_standin(provider)
            or not is_local_host(request.headers.get("host", ""))
        ):
            raise NotFoundException()
        return provider, standin.gateway_for(request.app.state.doorstep.settings.var_dir)

    def _order(self, gateway: standin.StandinGateway, payment_id: uuid.UUID) -> Any:
        order = gateway.orders.get(payment_id.hex)
        if order is None:
            raise NotFoundException()
        return order

    def _page(
        self, request: Request[Any, Any, Any], tenant: Tenant, name: str, **context: Any
    ) -> Response[Any]:
        response = render_page(request, tenant, f"payments/standin_{name}.html", context)
        response.headers["cache-control"] = "no-store"
        return response

    @get("/wechat/pay/{payment_id:uuid}")
    async def wechat_page(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        payment_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        _, gateway = self._method(request, tenant, "wechat_pay")
        order = self._order(gateway, payment_id)
        qr = qr_svg(f"weixin://wxpay/bizpayurl?pr={order.out_trade_no}")
        return self._page(request, tenant, "wechat", order=order, qr=qr, payment_id=payment_id)

    @post("/wechat/pay/{payment_id:uuid}")
    async def wechat_confirm(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        payment_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        _, gateway = self._method(request, tenant, "wechat_pay")
        order = gateway.pay(self._order(gateway, payment_id).out_trade_no)
        headers, body = notices.wechat_notification(gateway.keys, notices.wechat_transaction(order))
        await deliver(request, order.notify_url, headers, body)
        return Redirect(path=f"/pay/result/{payment_id}", status_code=303)

    @get("/alipay/gateway.do")
    async def alipay_page(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        _, gateway = self._method(request, tenant, "alipay")
        params = dict(request.query_params.items())
        try:
            order = gateway.register_alipay(params)
        except (NotificationRejected, KeyError, ValueError):
            raise NotFoundException() from None
        return self._page(request, tenant, "alipay", order=order, params=params)

    @post("/alipay/gateway.do")
    async def alipay_confirm(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
    ) -> Response[Any]:
        provider, gateway = self._method(request, tenant, "alipay")
        form = await request.form()
        params = {k: str(v) for k, v in form.items() if k != "_csrf_token"}
        try:
            order = gateway.pay(gateway.register_alipay(params).out_trade_no)
        except (NotificationRejected, KeyError, ValueError):
            raise NotFoundException() from None
        body = notices.alipay_notification(
            gateway.keys,
            notices.alipay_paid_params(order, str(_setting(provider, "seller_id"))),
        )
        content_type = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
        await deliver(request, order.notify_url, content_type, body)
        return Redirect(path=httpx.URL(order.return_url).raw_path.decode(), status_code=303)

    @get("/card/pay/{payment_id:uuid}")
    async def card_page(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        payment_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        _, gateway = self._method(request, tenant, "card")
        order = self._order(gateway, payment_id)
        return self._page(request, tenant, "card", order=order, payment_id=payment_id, bad=False)

    @post("/card/pay/{payment_id:uuid}")
    async def card_confirm(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        payment_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        _, gateway = self._method(request, tenant, "card")
        order = self._order(gateway, payment_id)
        form = await request.form()
        number = str(form.get("number") or "").replace(" ", "")
        if not luhn_ok(number):
            page = self._page(request, tenant, "card", order=order, payment_id=payment_id, bad=True)
            page.status_code = 400
            return page
        order = gateway.pay(order.out_trade_no)
        # The acquirer keeps the card; the merchant hears only the brand and last four digits.
        headers, body = notices.card_notification(
            gateway.keys, notices.card_paid_payload(order, number[-4:])
        )
        await deliver(request, order.notify_url, headers, body)
        return Redirect(path=httpx.URL(order.return_url).raw_path.decode(), status_code=303)


def _setting(provider: PaymentProvider, name: str) -> Any:
    return provider.settings.get(name, "")
