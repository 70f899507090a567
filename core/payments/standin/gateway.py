"""The stand-in gateways' server side: the APIs the kit calls (through an in-process
``httpx`` transport), checked and answered as documented; the callbacks they send are built
in ``notices``.

WeChat Pay v3: requests checked against the merchant key (``Authorization`` header), answers
and callbacks signed with the platform key (``Wechatpay-*`` headers), callback resources
AEAD_AES_256_GCM under the APIv3 key. Alipay: RSA2 over the sorted raw parameters both ways,
answers signed over their ``*_response`` node. Card: HMAC-SHA256 (``X-Gateway-Signature``).
The orders they know live in memory: a stand-in, not a bank.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from core.payments import alipay, card, crypto, wechat
from core.payments.provider import NotificationRejected
from core.payments.standin.keys import StandinKeys, load_or_create
from core.payments.standin.notices import wechat_signed_headers, wechat_transaction

WECHAT_BASE = "https://standin-wechat.invalid"
ALIPAY_GATEWAY = "https://standin-alipay.invalid/gateway.do"
CARD_BASE = "https://standin-card.invalid"


@dataclass
class StandinOrder:
    method: str
    out_trade_no: str
    amount_fen: int
    currency: str
    description: str
    notify_url: str
    return_url: str
    merchant: dict[str, str] = field(default_factory=dict)
    """The merchant's ids as the request gave them (mchid/appid, app_id/seller_id...)."""
    paid: bool = False
    txn: str = ""
    refunded_fen: int = 0
    refunds: dict[str, int] = field(default_factory=dict)
    """Refund number -> fen. As the real gateways document, a refund asked again with the
    same number refunds once (the answer repeats the first one)."""

    def take_refund(self, number: str, amount: int) -> bool:
        """Record a refund once per number; False when it would exceed what was paid."""
        if number in self.refunds:
            return self.refunds[number] == amount
        if not self.paid or self.refunded_fen + amount > self.amount_fen:
            return False
        self.refunds[number] = amount
        self.refunded_fen += amount
        return True


class StandinGateway:
    """All three stand-in gateways of one install (one ``var/``)."""

    def __init__(self, keys: StandinKeys) -> None:
        self.keys = keys
        self.orders: dict[str, StandinOrder] = {}

    def transport(self, identifier: str) -> httpx.AsyncBaseTransport | None:
        handler = {
            "wechat_pay": self._wechat,
            "alipay": self._alipay,
            "card": self._card,
        }.get(identifier)
        return httpx.MockTransport(handler) if handler else None

    def base_settings(self, identifier: str) -> dict[str, Any]:
        where = {
            "wechat_pay": {"api_base": WECHAT_BASE},
            "alipay": {"gateway": ALIPAY_GATEWAY, "cashier_url": "/standin/alipay/gateway.do"},
            "card": {"api_base": CARD_BASE},
        }.get(identifier, {})
        return {**where, **self.keys.merchant_settings(identifier)}

    def pay(self, out_trade_no: str) -> StandinOrder:
        order = self.orders[out_trade_no]
        if not order.paid:
            order.paid = True
            order.txn = f"4200{int(time.time())}{secrets.randbelow(10**8):08d}"
        return order

    # --- WeChat Pay v3 ------------------------------------------------------------------------

    def _wechat_answer(self, status: int, payload: dict[str, Any] | None) -> httpx.Response:
        body = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else b""
        headers = wechat_signed_headers(self.keys, body, int(time.time()))
        headers["content-type"] = "application/json"
        return httpx.Response(status, content=body, headers=headers)

    def _wechat(self, request: httpx.Request) -> httpx.Response:
        fields = wechat.parse_authorization(request.headers.get("authorization", ""))
        path = request.url.raw_path.decode()
        message = wechat.request_message(
            request.method,
            path,
            fields.get("timestamp", ""),
            fields.get("nonce_str", ""),
            request.content.decode(),
        )
        try:
            key = crypto.load_private(self.keys.wechat_merchant).public_key()
            crypto.rsa_verify(key, message, fields.get("signature", ""))
        except crypto.BadSignature:
            return self._wechat_answer(401, {"code": "SIGN_ERROR", "message": "签名错误"})
        mchid = fields.get("mchid", "")
        if request.method == "POST" and path == "/v3/pay/transactions/native":
            body = json.loads(request.content)
            if str(body.get("mchid")) != mchid:
                return self._wechat_answer(400, {"code": "PARAM_ERROR", "message": "mchid"})
            no = str(body["out_trade_no"])
            known = self.orders.get(no)
            if known is None or not known.paid:
                self.orders[no] = StandinOrder(
                    method="wechat_pay",
                    out_trade_no=no,
                    amount_fen=int(body["amount"]["total"]),
                    currency=str(body["amount"].get("currency", "CNY")),
                    description=str(body.get("description", "")),
                    notify_url=str(body["notify_url"]),
                    return_url="",
                    merchant={"mchid": mchid, "appid": str(body.get("appid", ""))},
                )
            return self._wechat_answer(200, {"code_url": f"weixin://wxpay/bizpayurl?pr={no}"})
        if request.method == "GET" and path.startswith("/v3/pay/transactions/out-trade-no/"):
            no = request.url.path.rsplit("/", 1)[-1]
            order = self.orders.get(no)
            if order is None or order.merchant.get("mchid") != mchid:
                return self._wechat_answer(
                    404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
                )
            return self._wechat_answer(200, wechat_transaction(order))
        if request.method == "POST" and path == "/v3/refund/domestic/refunds":
            body = json.loads(request.content)
            order = self.orders.get(str(body.get("out_trade_no")))
            amount = int(body["amount"]["refund"])
            number = str(body["out_refund_no"])
            if order is None or not order.take_refund(number, amount):
                return self._wechat_answer(400, {"code": "INVALID_REQUEST", "message": "退款"})
            refund_id = f"5030{int(hashlib.sha256(number.encode()).hexdigest(), 16) % 10**12:012d}"
            answer = {
                "refund_id": refund_id,
                "out_refund_no": body["out_refund_no"],
                "status": "SUCCESS",
                "amount": {"refund": amount, "total": order.amount_fen, "currency": "CNY"},
            }
            return self._wechat_answer(200, answer)
        return self._wechat_answer(404, {"code": "NOT_FOUND", "message": path})

    # --- Alipay -------------------------------------------------------------------------------

    def verify_alipay_request(self, params: dict[str, str]) -> None:
        """A request signed by the merchant's app key (raise NotificationRejected)."""
        try:
            key = crypto.load_private(self.keys.alipay_app).public_key()
            crypto.rsa_verify(key, alipay.sign_content(params), params.get("sign", ""))
        except crypto.BadSignature:
            raise NotificationRejected("bad request signature") from None

    def _alipay(self, request: httpx.Request) -> httpx.Response:
        params = dict(parse_qsl(request.content.decode(), keep_blank_values=True))
        method = params.get("method", "")
        node_name = method.replace(".", "_") + "_response"
        try:
            self.verify_alipay_request(params)
            biz = json.loads(params.get("biz_content", "{}"))
        except (NotificationRejected, ValueError):
            return self._alipay_answer(
                node_name, {"code": "40002", "sub_code": "isv.invalid-signature"}
            )
        order = self.orders.get(str(biz.get("out_trade_no", "")))
        if order is None or order.merchant.get("app_id") != params.get("app_id"):
            return self._alipay_answer(
                node_name, {"code": "40004", "sub_code": "ACQ.TRADE_NOT_EXIST"}
            )
        if method == "alipay.trade.query":
            node = {
                "code": "10000",
                "msg": "Success",
                "trade_no": order.txn,
                "out_trade_no": order.out_trade_no,
                "trade_status": "TRADE_SUCCESS" if order.paid else "WAIT_BUYER_PAY",
                "total_amount": alipay.yuan(order.amount_fen),
            }
            return self._alipay_answer(node_name, node)
        if method == "alipay.trade.refund":
            amount = alipay.fen_of(str(biz.get("refund_amount", "0")))
            number = str(biz.get("out_request_no") or order.out_trade_no)
            if not order.take_refund(number, amount):
                return self._alipay_answer(
                    node_name, {"code": "40004", "sub_code": "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"}
                )
            node = {
                "code": "10000",
                "msg": "Success",
                "trade_no": order.txn,
                "out_trade_no": order.out_trade_no,
                "fund_change": "Y",
                "refund_fee": alipay.yuan(order.refunded_fen),
            }
            return self._alipay_answer(node_name, node)
        return self._alipay_answer(node_name, {"code": "40004", "sub_code": "isv.invalid-method"})

    def _alipay_answer(self, node_name: str, node: dict[str, Any]) -> httpx.Response:
        text = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
        sign = crypto.rsa_sign(crypto.load_private(self.keys.alipay_gateway), text.encode())
        body = '{"' + node_name + '":' + text + ',"sign":"' + sign + '"}'
        return httpx.Response(
            200, content=body.encode(), headers={"content-type": "application/json"}
        )

    def register_alipay(self, params: dict[str, str]) -> StandinOrder:
        """The cashier page: a signed ``alipay.trade.wap.pay`` request opens (or finds) an order."""
        self.verify_alipay_request(params)
        biz = json.loads(params["biz_content"])
        no = str(biz["out_trade_no"])
        known = self.orders.get(no)
        if known is not None and known.paid:
            return known
        order = StandinOrder(
            method="alipay",
            out_trade_no=no,
            amount_fen=alipay.fen_of(str(biz["total_amount"])),
            currency="CNY",
            description=str(biz.get("subject", "")),
            notify_url=params.get("notify_url", ""),
            return_url=params.get("return_url", ""),
            merchant={"app_id": params["app_id"]},
        )
        self.orders[no] = order
        return order

    # --- card (hosted page) -------------------------------------------------------------------

    def _card_answer(self, status: int, payload: dict[str, Any]) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = {
            card.HEADER: card.signature_header(
                self.keys.card_secret.encode(), body, int(time.time())
            ),
            "content-type": "application/json",
        }
        return httpx.Response(status, content=body, headers=headers)

    def _card(self, request: httpx.Request) -> httpx.Response:
        from core.payments.clock import utc_now

        try:
            card.verify_signature(
                self.keys.card_secret.encode(),
                request.headers.get(card.HEADER, ""),
                request.content,
                utc_now(),
            )
        except NotificationRejected:
            return self._card_answer(401, {"error": "bad signature"})
        path = request.url.path
        if request.method == "POST" and path == "/v1/sessions":
            body = json.loads(request.content)
            no = str(body["order_id"])
            known = self.orders.get(no)
            if known is None or not known.paid:
                self.orders[no] = StandinOrder(
                    method="card",
                    out_trade_no=no,
                    amount_fen=int(body["amount_fen"]),
                    currency=str(body.get("currency", "CNY")),
                    description=str(body.get("description", "")),
                    notify_url=str(body["notify_url"]),
                    return_url=str(body["return_url"]),
                    merchant={"merchant_id": str(body["merchant_id"])},
                )
            session = f"cs_{no}"
            return self._card_answer(
                200, {"session_id": session, "url": f"/standin/card/pay/{uuid.UUID(no)}"}
            )
        if request.method == "GET" and path.startswith("/v1/orders/"):
            order = self.orders.get(path.rsplit("/", 1)[-1])
            if order is None:
                return self._card_answer(404, {"error": "no such order"})
            status = "paid" if order.paid else "open"
            return self._card_answer(
                200,
                {
                    "status": status,
                    "order_id": order.out_trade_no,
                    "session_id": f"cs_{order.out_trade_no}",
                    "amount_fen": order.amount_fen,
                },
            )
        if request.method == "POST" and path == "/v1/refunds":
            body = json.loads(request.content)
            order = self.orders.get(str(body.get("order_id")))
            amount = int(body.get("amount_fen", 0))
            if order is None or not order.take_refund(str(body.get("refund_id")), amount):
                return self._card_answer(400, {"status": "failed"})
            return self._card_answer(200, {"id": f"re_{body['refund_id']}", "status": "succeeded"})
        return self._card_answer(404, {"error": "not found"})


# --- one gateway per install --------------------------------------------------------------------

_gateways: dict[Path, StandinGateway] = {}


def gateway_for(var_dir: Path) -> StandinGateway:
    """The stand-in gateways of the install whose state lives in ``var_dir``."""
    found = _gateways.get(var_dir)
    if found is None:
        found = _gateways[var_dir] = StandinGateway(load_or_create(var_dir))
    return found


def use_fresh_keys(var_dir: Path) -> StandinGateway:
    """Tests: new keys and no orders for this install's stand-ins."""
    gateway = _gateways[var_dir] = StandinGateway(StandinKeys.generate())
    return gateway
