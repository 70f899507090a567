"""What the stand-in gateways send and answer, signed as documented: WeChat Pay v3 transactions
and ``TRANSACTION.SUCCESS`` callbacks (``Wechatpay-*`` headers, AEAD_AES_256_GCM resource),
Alipay RSA2 asynchronous notifies, and card ``X-Gateway-Signature`` (HMAC-SHA256) callbacks.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.payments import alipay, card, crypto, wechat
from core.payments.standin.keys import StandinKeys

if TYPE_CHECKING:
    from core.payments.standin.gateway import StandinOrder


def wechat_signed_headers(keys: StandinKeys, body: bytes, timestamp: int) -> dict[str, str]:
    nonce = secrets.token_hex(16)
    message = wechat.callback_message(str(timestamp), nonce, body)
    return {
        "wechatpay-timestamp": str(timestamp),
        "wechatpay-nonce": nonce,
        "wechatpay-signature": crypto.rsa_sign(crypto.load_private(keys.wechat_platform), message),
        "wechatpay-serial": keys.wechat_platform_serial,
    }


def wechat_transaction(order: StandinOrder, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "mchid": order.merchant.get("mchid", ""),
        "appid": order.merchant.get("appid", ""),
        "out_trade_no": order.out_trade_no,
        "transaction_id": order.txn,
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS" if order.paid else "NOTPAY",
        "trade_state_desc": "支付成功" if order.paid else "未支付",
        "bank_type": "OTHERS",
        "success_time": datetime.now().astimezone().isoformat(timespec="seconds"),
        "payer": {"openid": "oStandinPayer0000000000000000"},
        "amount": {
            "total": order.amount_fen,
            "payer_total": order.amount_fen,
            "currency": order.currency,
            "payer_currency": order.currency,
        },
    }
    data.update(changes)
    return data


def wechat_notification(
    keys: StandinKeys,
    transaction: dict[str, Any],
    *,
    event_id: str = "",
    timestamp: int | None = None,
) -> tuple[dict[str, str], bytes]:
    """A ``TRANSACTION.SUCCESS`` callback about ``transaction``, as WeChat Pay sends it."""
    nonce = secrets.token_hex(6)
    plain = json.dumps(transaction, ensure_ascii=False).encode()
    resource = {
        "original_type": "transaction",
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": crypto.aes_gcm_encrypt(
            keys.wechat_v3_key.encode(), nonce.encode(), plain, b"transaction"
        ),
        "associated_data": "transaction",
        "nonce": nonce,
    }
    message = {
        "id": event_id or f"EV-{uuid.uuid4().hex[:20]}",
        "create_time": datetime.now().astimezone().isoformat(timespec="seconds"),
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": resource,
    }
    body = json.dumps(message, ensure_ascii=False).encode()
    headers = wechat_signed_headers(
        keys, body, int(time.time()) if timestamp is None else timestamp
    )
    headers["content-type"] = "application/json"
    return headers, body


def alipay_notification(keys: StandinKeys, params: dict[str, str]) -> bytes:
    """An asynchronous notify with ``params`` (form-encoded), signed RSA2 by the gateway key."""
    from urllib.parse import urlencode

    signed = {**params, "sign_type": "RSA2", "charset": "utf-8", "version": "1.0"}
    content = alipay.sign_content(signed, exclude=("sign", "sign_type"))
    signed["sign"] = crypto.rsa_sign(crypto.load_private(keys.alipay_gateway), content)
    return urlencode(signed).encode()


def alipay_paid_params(order: StandinOrder, seller_id: str, **changes: str) -> dict[str, str]:
    from core.payments.alipay import BEIJING

    now = datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    params = {
        "notify_time": now,
        "notify_type": "trade_status_sync",
        "notify_id": secrets.token_hex(16),
        "app_id": order.merchant.get("app_id", ""),
        "trade_no": order.txn,
        "out_trade_no": order.out_trade_no,
        "total_amount": alipay.yuan(order.amount_fen),
        "seller_id": seller_id,
        "trade_status": "TRADE_SUCCESS",
        "gmt_payment": now,
        "subject": order.description,
    }
    params.update(changes)
    return params


def card_notification(
    keys: StandinKeys, payload: dict[str, Any], *, timestamp: int | None = None
) -> tuple[dict[str, str], bytes]:
    body = json.dumps(payload).encode()
    at = int(time.time()) if timestamp is None else timestamp
    return (
        {
            card.HEADER: card.signature_header(keys.card_secret.encode(), body, at),
            "content-type": "application/json",
        },
        body,
    )


def card_paid_payload(order: StandinOrder, last4: str) -> dict[str, Any]:
    return {
        "event_id": f"evt_{uuid.uuid4().hex}",
        "type": "payment.succeeded",
        "merchant_id": order.merchant.get("merchant_id", ""),
        "session_id": f"cs_{order.out_trade_no}",
        "order_id": order.out_trade_no,
        "amount_fen": order.amount_fen,
        "currency": order.currency,
        "card": {"brand": "standin", "last4": last4},
        "created": int(time.time()),
    }
