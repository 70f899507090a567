"""Alipay open platform, website / mobile-web payment (``alipay.trade.wap.pay``).

Settings (tenant YAML; secrets as ``{$env: NAME}``): ``app_id``, ``seller_id`` (the merchant's
PID, 2088...), ``app_private_key`` (PEM), ``alipay_public_key`` (PEM), ``gateway`` (default
``https://openapi.alipay.com/gateway.do``; ``cashier_url``, where the browser goes, defaults
to it).

Every request is signed RSA2 (SHA256withRSA): the parameters except ``sign``, with a value,
sorted by name, joined ``name=value&...`` with raw values. The customer's browser is sent to
the gateway with the signed parameters; the asynchronous notification is verified the same way
(``sign`` and ``sign_type`` left out, values url-decoded) with Alipay's public key and answered
with exactly ``success``. Synchronous answers are verified over the raw JSON text of their
``<method>_response`` node.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode

from core.money import Money
from core.payments import crypto
from core.payments.provider import (
    Checkout,
    GatewayError,
    GatewayEvent,
    NotificationRejected,
    Order,
    PaymentProvider,
    RefundOutcome,
    Reply,
)

BEIJING = timezone(timedelta(hours=8))
NOTIFY_WINDOW = timedelta(hours=48)
"""Alipay retries a notification for about 25 hours (4 min ... 15 h); older is a replay."""
PAID = {"TRADE_SUCCESS": "captured", "TRADE_FINISHED": "captured", "TRADE_CLOSED": "closed"}


def sign_content(params: dict[str, str], *, exclude: tuple[str, ...] = ("sign",)) -> bytes:
    """The string Alipay signs: sorted ``k=v`` pairs with raw values, empty values left out."""
    pairs = sorted((k, v) for k, v in params.items() if k not in exclude and v != "")
    return "&".join(f"{k}={v}" for k, v in pairs).encode()


def yuan(fen: int) -> str:
    """Alipay's amounts are yuan with two decimals, as text (never a float)."""
    return f"{fen // 100}.{fen % 100:02d}"


def fen_of(text: str) -> int:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise NotificationRejected("amount is not a number") from None
    fen = value * 100
    if fen != fen.to_integral_value() or value < 0:
        raise NotificationRejected("amount has more than two decimals")
    return int(fen)


def response_node(text: str, method: str) -> tuple[str, str]:
    """The raw JSON text of ``<method>_response`` and the ``sign`` of a synchronous answer."""
    name = '"' + method.replace(".", "_") + '_response"'
    start = text.find(name)
    if start < 0:
        raise GatewayError("Alipay answer without its response node")
    colon = text.index(":", start + len(name))
    begin = colon + 1
    while text[begin].isspace():
        begin += 1
    _, end = json.JSONDecoder().raw_decode(text, begin)
    return text[begin:end], str(json.loads(text).get("sign", ""))


class Alipay(PaymentProvider):
    identifier = "alipay"
    label = {"zh_CN": "支付宝", "en": "Alipay"}
    ledger_method = "alipay"
    notification_path = "/payments/notify/alipay"

    @property
    def gateway(self) -> str:
        return str(self.settings.get("gateway") or "https://openapi.alipay.com/gateway.do")

    def signed_params(
        self, method: str, biz: dict[str, Any], now: datetime, **extra: str
    ) -> dict[str, str]:
        params = {
            "app_id": str(self.settings["app_id"]),
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": now.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
            **extra,
        }
        key = crypto.load_private(str(self.settings["app_private_key"]))
        params["sign"] = crypto.rsa_sign(key, sign_content(params))
        return params

    async def create_payment(self, order: Order) -> Checkout:
        from core.payments.clock import utc_now

        biz = {
            "out_trade_no": order.out_trade_no,
            "total_amount": yuan(order.amount.amount_fen),
            "subject": order.description[:256],
            "product_code": "QUICK_WAP_WAY",
        }
        params = self.signed_params(
            "alipay.trade.wap.pay",
            biz,
            utc_now(),
            notify_url=order.notify_url,
            return_url=order.return_url,
        )
        cashier = str(self.settings.get("cashier_url") or self.gateway)
        return Checkout(redirect_url=f"{cashier}?{urlencode(params)}")

    async def handle_notification(
        self, headers: dict[str, str], body: bytes, now: datetime
    ) -> GatewayEvent:
        try:
            params = dict(
                parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
            )
        except (UnicodeDecodeError, ValueError):
            raise NotificationRejected("malformed notification") from None
        signature = params.get("sign", "")
        if params.get("sign_type", "RSA2") != "RSA2" or not signature:
            raise NotificationRejected("not an RSA2-signed notification")
        try:
            key = crypto.load_public(str(self.settings["alipay_public_key"]))
            crypto.rsa_verify(key, sign_content(params, exclude=("sign", "sign_type")), signature)
        except crypto.BadSignature:
            raise NotificationRejected("bad signature") from None
        if params.get("app_id") != str(self.settings["app_id"]):
            raise NotificationRejected("another app's notification")
        if params.get("seller_id") != str(self.settings["seller_id"]):
            raise NotificationRejected("another seller's notification")
        sent = _beijing(params.get("notify_time"))
        if sent is None or abs((now - sent).total_seconds()) > NOTIFY_WINDOW.total_seconds():
            raise NotificationRejected("notify_time missing or outside the retry window")
        notify_id = params.get("notify_id", "")
        if not notify_id or not params.get("out_trade_no"):
            raise NotificationRejected("notification without notify_id or out_trade_no")
        return self._event(f"alipay:{notify_id}", params)

    def _event(self, key: str, params: dict[str, Any]) -> GatewayEvent:
        outcome = PAID.get(str(params.get("trade_status", "")), "pending")
        return GatewayEvent(
            event_key=key,
            out_trade_no=str(params.get("out_trade_no", "")),
            outcome=outcome,
            amount_fen=fen_of(str(params.get("total_amount", ""))) if outcome == "captured" else 0,
            gateway_txn=str(params.get("trade_no", "")),
            at=_beijing(params.get("gmt_payment")),
        )

    def reply(self, accepted: bool, message: str = "") -> Reply:
        """Alipay stops retrying only on the exact body ``success``."""
        return Reply(200, b"success") if accepted else Reply(200, b"fail")

    async def _call(self, method: str, biz: dict[str, Any]) -> dict[str, Any]:
        import httpx

        from core.payments.clock import utc_now

        params = self.signed_params(method, biz, utc_now())
        try:
            async with self.client(self.gateway) as client:
                answer = await client.post(
                    "",
                    content=urlencode(params).encode(),
                    headers={"content-type": "application/x-www-form-urlencoded;charset=utf-8"},
                )
        except httpx.HTTPError as exc:
            raise GatewayError(f"Alipay unreachable: {type(exc).__name__}") from exc
        if answer.status_code != 200:
            raise GatewayError(f"Alipay refused: {answer.status_code}")
        node, signature = response_node(answer.text, method)
        try:
            key = crypto.load_public(str(self.settings["alipay_public_key"]))
            crypto.rsa_verify(key, node.encode(), signature)
        except crypto.BadSignature:
            raise GatewayError("Alipay answer not verified") from None
        data = json.loads(node)
        return dict(data) if isinstance(data, dict) else {}

    async def query(self, order: Order) -> GatewayEvent | None:
        data = await self._call("alipay.trade.query", {"out_trade_no": order.out_trade_no})
        if data.get("code") != "10000":
            return None
        event = self._event(f"alipay:query:{order.out_trade_no}", data)
        return None if event.outcome == "pending" else event

    async def refund(
        self, order: Order, out_refund_no: str, amount: Money, captured: Money
    ) -> RefundOutcome:
        biz = {
            "out_trade_no": order.out_trade_no,
            "refund_amount": yuan(amount.amount_fen),
            "out_request_no": out_refund_no,
        }
        data = await self._call("alipay.trade.refund", biz)
        return RefundOutcome(
            accepted=data.get("code") == "10000",
            gateway_ref=str(data.get("trade_no", "")),
            detail=str(data.get("sub_code") or data.get("msg", "")),
        )


def _beijing(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    except ValueError:
        return None
