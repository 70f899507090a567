"""WeChat Pay API v3, Native (QR) payments.

Settings (tenant YAML ``payments[].settings``; secrets as ``{$env: NAME}``):
``mch_id``, ``appid``, ``merchant_serial_no``, ``merchant_private_key`` (PEM),
``api_v3_key`` (32 characters), ``platform_serial`` + ``platform_public_key`` (the WeChat Pay
public key or platform certificate, PEM; ``platform_serial_2`` + ``platform_public_key_2``
while WeChat rotates), ``api_base`` (default ``https://api.mch.weixin.qq.com``).

Requests carry ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="..",nonce_str="..",
signature="..",timestamp="..",serial_no=".."``, the signature SHA256withRSA over
``METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nBODY\\n``. Answers and callbacks are verified with the
platform key named by ``Wechatpay-Serial`` over ``TIMESTAMP\\nNONCE\\nBODY\\n``; a callback's
``resource`` is AEAD_AES_256_GCM under the APIv3 key.
"""

from __future__ import annotations

import json
import secrets
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
    Reply,
)

SIGNATURE_PROBE = "WECHATPAY/SIGNTEST/"
"""WeChat sends callbacks with deliberately wrong signatures starting with this, to check that
merchants verify; they must be refused."""
SCHEME = "WECHATPAY2-SHA256-RSA2048"


def request_message(method: str, path: str, timestamp: str, nonce: str, body: str) -> bytes:
    return f"{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n".encode()


def callback_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"


def authorization(
    mch_id: str, serial_no: str, key: Any, method: str, path: str, body: str, timestamp: str
) -> str:
    nonce = secrets.token_hex(16)
    signature = crypto.rsa_sign(key, request_message(method, path, timestamp, nonce, body))
    return (
        f'{SCHEME} mchid="{mch_id}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


def parse_authorization(header: str) -> dict[str, str]:
    """The fields of an ``Authorization`` header (the stand-in gateway checks requests)."""
    scheme, _, rest = header.partition(" ")
    if scheme != SCHEME:
        return {}
    fields = {}
    for part in rest.split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value.strip('"')
    return fields


def verify_signed(
    keys: dict[str, Any], headers: dict[str, str], body: bytes, now: datetime
) -> None:
    """Check a message WeChat Pay signed (a callback or an answer); raise NotificationRejected."""
    signature = headers.get("wechatpay-signature", "")
    if signature.startswith(SIGNATURE_PROBE):
        raise NotificationRejected("a signature-probe message")
    serial = headers.get("wechatpay-serial", "")
    key = keys.get(serial)
    if key is None:
        raise NotificationRejected("unknown platform key serial")
    timestamp, nonce = headers.get("wechatpay-timestamp", ""), headers.get("wechatpay-nonce", "")
    if not timestamp.isdigit() or not nonce:
        raise NotificationRejected("timestamp or nonce missing")
    if abs(now.timestamp() - int(timestamp)) > TIMESTAMP_WINDOW_S:
        raise NotificationRejected("timestamp outside the 5-minute window")
    try:
        crypto.rsa_verify(key, callback_message(timestamp, nonce, body), signature)
    except crypto.BadSignature:
        raise NotificationRejected("bad signature") from None


def _fen(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise NotificationRejected("amount is not an integer")
    return value


class WeChatPay(PaymentProvider):
    identifier = "wechat_pay"
    label = {"zh_CN": "微信支付", "en": "WeChat Pay"}
    ledger_method = "wechat_pay"
    notification_path = "/payments/notify/wechat_pay"

    @property
    def api_base(self) -> str:
        return str(self.settings.get("api_base") or "https://api.mch.weixin.qq.com")

    def platform_keys(self) -> dict[str, Any]:
        keys = {}
        for suffix in ("", "_2"):
            serial = self.settings.get(f"platform_serial{suffix}")
            pem = self.settings.get(f"platform_public_key{suffix}")
            if serial and pem:
                keys[str(serial)] = crypto.load_public(str(pem))
        return keys

    def _v3_key(self) -> bytes:
        return str(self.settings["api_v3_key"]).encode()

    async def _call(
        self, method: str, path: str, payload: dict[str, Any] | None, now: datetime
    ) -> dict[str, Any]:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")) if payload else ""
        header = authorization(
            str(self.settings["mch_id"]),
            str(self.settings["merchant_serial_no"]),
            crypto.load_private(str(self.settings["merchant_private_key"])),
            method,
            path,
            body,
            str(int(now.timestamp())),
        )
        headers = {
            "authorization": header,
            "accept": "application/json",
            "content-type": "application/json",
        }
        import httpx

        try:
            async with self.client(self.api_base) as client:
                answer = await client.request(method, path, content=body.encode(), headers=headers)
        except httpx.HTTPError as exc:
            raise GatewayError(f"WeChat Pay unreachable: {type(exc).__name__}") from exc
        try:
            verify_signed(self.platform_keys(), dict(answer.headers), answer.content, now)
        except NotificationRejected as exc:
            raise GatewayError(f"WeChat Pay answer not verified: {exc.reason}") from None
        if answer.status_code == 404:
            return {}
        if answer.status_code >= 300:
            raise GatewayError(f"WeChat Pay refused: {answer.status_code}")
        return dict(answer.json()) if answer.content else {}

    async def create_payment(self, order: Order) -> Checkout:
        from core.payments.clock import utc_now

        payload = {
            "appid": self.settings["appid"],
            "mchid": self.settings["mch_id"],
            "description": order.description[:127],
            "out_trade_no": order.out_trade_no,
            "notify_url": order.notify_url,
            "amount": {"total": order.amount.amount_fen, "currency": order.amount.currency},
        }
        answer = await self._call("POST", "/v3/pay/transactions/native", payload, utc_now())
        code_url = str(answer.get("code_url", ""))
        if not code_url:
            raise GatewayError("WeChat Pay gave no code_url")
        return Checkout(qr_payload=code_url, gateway_ref=code_url)

    async def handle_notification(
        self, headers: dict[str, str], body: bytes, now: datetime
    ) -> GatewayEvent:
        verify_signed(self.platform_keys(), headers, body, now)
        try:
            message = json.loads(body)
            resource = message["resource"]
            if resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise NotificationRejected("unknown resource algorithm")
            plain = crypto.aes_gcm_decrypt(
                self._v3_key(),
                str(resource["nonce"]).encode(),
                str(resource["ciphertext"]),
                str(resource.get("associated_data", "")).encode(),
            )
            data = json.loads(plain)
            event_type, event_id = str(message["event_type"]), str(message["id"])
        except crypto.BadSignature:
            raise NotificationRejected("the resource does not decrypt") from None
        except (ValueError, KeyError, TypeError, AttributeError):
            raise NotificationRejected("malformed notification") from None
        if not isinstance(data, dict):
            raise NotificationRejected("malformed resource")
        if str(data.get("mchid")) != str(self.settings["mch_id"]):
            raise NotificationRejected("another merchant's notification")
        if event_type.startswith("REFUND."):
            return GatewayEvent(
                event_key=f"wechat_pay:{event_id}",
                out_trade_no=str(data.get("out_trade_no", "")),
                outcome="other",
            )
        if str(data.get("appid")) != str(self.settings["appid"]):
            raise NotificationRejected("another app's notification")
        return self._transaction_event(f"wechat_pay:{event_id}", data)

    def _transaction_event(self, key: str, data: dict[str, Any]) -> GatewayEvent:
        state = str(data.get("trade_state", ""))
        outcome = {"SUCCESS": "captured", "CLOSED": "closed", "PAYERROR": "closed"}.get(
            state, "pending"
        )
        amount = data.get("amount") or {}
        return GatewayEvent(
            event_key=key,
            out_trade_no=str(data.get("out_trade_no", "")),
            outcome=outcome,
            amount_fen=_fen(amount.get("total")) if outcome == "captured" else 0,
            gateway_txn=str(data.get("transaction_id", "")),
            at=_parse_time(data.get("success_time")),
        )

    def reply(self, accepted: bool, message: str = "") -> Reply:
        """Per the v3 docs: 200/204 with no body when accepted; otherwise 4xx with
        ``{"code": "FAIL", "message": ...}`` (WeChat retries)."""
        if accepted:
            return Reply(204)
        body = json.dumps({"code": "FAIL", "message": message or "失败"}, ensure_ascii=False)
        return Reply(400, body.encode(), "application/json")

    async def query(self, order: Order) -> GatewayEvent | None:
        from core.payments.clock import utc_now

        path = (
            f"/v3/pay/transactions/out-trade-no/{order.out_trade_no}"
            f"?mchid={self.settings['mch_id']}"
        )
        data = await self._call("GET", path, None, utc_now())
        if not data:
            return None
        if str(data.get("mchid")) != str(self.settings["mch_id"]):
            raise GatewayError("WeChat Pay answered about another merchant")
        event = self._transaction_event(f"wechat_pay:query:{order.out_trade_no}", data)
        return None if event.outcome == "pending" else event

    async def refund(
        self, order: Order, out_refund_no: str, amount: Money, captured: Money
    ) -> RefundOutcome:
        from core.payments.clock import utc_now

        payload = {
            "out_trade_no": order.out_trade_no,
            "out_refund_no": out_refund_no,
            "amount": {
                "refund": amount.amount_fen,
                "total": captured.amount_fen,
                "currency": amount.currency,
            },
        }
        answer = await self._call("POST", "/v3/refund/domestic/refunds", payload, utc_now())
        status = str(answer.get("status", ""))
        # SUCCESS, or PROCESSING: WeChat has taken the refund and will complete it.
        return RefundOutcome(
            accepted=status in {"SUCCESS", "PROCESSING"},
            gateway_ref=str(answer.get("refund_id", "")),
            detail=status,
        )


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
