"""Bank cards through the acquirer's hosted payment page: the customer types the card number
on the acquirer's page, never on ours, so card data never reaches the kit (nor its logs).

The protocol (what the acquirer adapter must speak; the stand-in speaks it):

* Every request and answer, and every callback, carries
  ``X-Gateway-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``
  with the merchant's shared secret; a message whose ``t`` is more than 5 minutes off is
  refused (a replay).
* ``POST /v1/sessions`` ``{merchant_id, order_id, amount_fen, currency, description,
  notify_url, return_url}`` -> ``{session_id, url}``: the browser goes to ``url``.
* The callback ``POST notify_url`` ``{event_id, type: payment.succeeded | payment.failed,
  merchant_id, session_id, order_id, amount_fen, currency, card: {brand, last4}, created}``
  is answered 204 when taken (anything else: the acquirer retries).
* ``GET /v1/orders/<order_id>`` -> ``{status: open | paid | expired, amount_fen, ...}``.
* ``POST /v1/refunds`` ``{order_id, refund_id, amount_fen}`` -> ``{id, status: succeeded}``.

Settings: ``merchant_id``, ``webhook_secret`` (``{$env: NAME}``), ``api_base``.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from core.money import Money
from core.payments import crypto
from core.payments.provider import (
    TIMESTAMP_WINDOW_S,
    Checkout,
    GatewayError,
    GatewayEvent,
    NotificationRejected,
    Order,
    PaymentProvider,
    RefundOutcome,
)

HEADER = "x-gateway-signature"


def signature_header(secret: bytes, body: bytes, at: int) -> str:
    return f"t={at},v1={crypto.hmac_hex(secret, str(at).encode() + b'.' + body)}"


def verify_signature(secret: bytes, header: str, body: bytes, now: datetime) -> None:
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    stamp, given = fields.get("t", ""), fields.get("v1", "")
    if not stamp.isdigit() or not given:
        raise NotificationRejected("signature header missing")
    if abs(now.timestamp() - int(stamp)) > TIMESTAMP_WINDOW_S:
        raise NotificationRejected("timestamp outside the 5-minute window")
    expected = crypto.hmac_hex(secret, stamp.encode() + b"." + body)
    if not crypto.hmac_equal(expected, given):
        raise NotificationRejected("bad signature")


class HostedCard(PaymentProvider):
    identifier = "card"
    label = {"zh_CN": "银行卡", "en": "Bank card"}
    ledger_method = "card"
    notification_path = "/payments/notify/card"

    @property
    def api_base(self) -> str:
        return str(self.settings.get("api_base") or "")

    def _secret(self) -> bytes:
        return str(self.settings["webhook_secret"]).encode()

    async def _call(self, method: str, path: str, payload: dict[str, Any] | None) -> dict[str, Any]:
        import httpx

        from core.payments.clock import utc_now

        body = json.dumps(payload).encode() if payload is not None else b""
        headers = {
            HEADER: signature_header(self._secret(), body, int(time.time())),
            "content-type": "application/json",
        }
        try:
            async with self.client(self.api_base) as client:
                answer = await client.request(method, path, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise GatewayError(f"card gateway unreachable: {type(exc).__name__}") from exc
        try:
            verify_signature(
                self._secret(), answer.headers.get(HEADER, ""), answer.content, utc_now()
            )
        except NotificationRejected as exc:
            raise GatewayError(f"card gateway answer not verified: {exc.reason}") from None
        if answer.status_code == 404:
            return {}
        if answer.status_code >= 300:
            raise GatewayError(f"card gateway refused: {answer.status_code}")
        data = answer.json()
        return dict(data) if isinstance(data, dict) else {}

    async def create_payment(self, order: Order) -> Checkout:
        answer = await self._call(
            "POST",
            "/v1/sessions",
            {
                "merchant_id": self.settings["merchant_id"],
                "order_id": order.out_trade_no,
                "amount_fen": order.amount.amount_fen,
                "currency": order.amount.currency,
                "description": order.description,
                "notify_url": order.notify_url,
                "return_url": order.return_url,
            },
        )
        if not answer.get("url"):
            raise GatewayError("the card gateway gave no payment page")
        return Checkout(redirect_url=str(answer["url"]), gateway_ref=str(answer["session_id"]))

    async def handle_notification(
        self, headers: dict[str, str], body: bytes, now: datetime
    ) -> GatewayEvent:
        verify_signature(self._secret(), headers.get(HEADER, ""), body, now)
        try:
            data = json.loads(body)
            event_id, kind = str(data["event_id"]), str(data["type"])
        except (ValueError, KeyError, TypeError):
            raise NotificationRejected("malformed notification") from None
        if str(data.get("merchant_id")) != str(self.settings["merchant_id"]):
            raise NotificationRejected("another merchant's notification")
        return self._event(f"card:{event_id}", kind, data)

    def _event(self, key: str, kind: str, data: dict[str, Any]) -> GatewayEvent:
        outcome = {"payment.succeeded": "captured", "payment.failed": "closed"}.get(kind, "other")
        amount = data.get("amount_fen")
        if not isinstance(amount, int) or isinstance(amount, bool):
            if outcome == "captured":
                raise NotificationRejected("amount is not an integer")
            amount = 0
        return GatewayEvent(
            event_key=key,
            out_trade_no=str(data.get("order_id", "")),
            outcome=outcome,
            amount_fen=amount if outcome == "captured" else 0,
            gateway_txn=str(data.get("session_id", "")),
        )

    async def query(self, order: Order) -> GatewayEvent | None:
        data = await self._call("GET", f"/v1/orders/{order.out_trade_no}", None)
        status = data.get("status")
        if status == "paid":
            return self._event(f"card:query:{order.out_trade_no}", "payment.succeeded", data)
        if status == "expired":
            return self._event(f"card:query:{order.out_trade_no}", "payment.failed", data)
        return None

    async def refund(
        self, order: Order, out_refund_no: str, amount: Money, captured: Money
    ) -> RefundOutcome:
        answer = await self._call(
            "POST",
            "/v1/refunds",
            {
                "order_id": order.out_trade_no,
                "refund_id": out_refund_no,
                "amount_fen": amount.amount_fen,
            },
        )
        return RefundOutcome(
            accepted=answer.get("status") == "succeeded",
            gateway_ref=str(answer.get("id", "")),
            detail=str(answer.get("status", "")),
        )
