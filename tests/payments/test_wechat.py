"""WeChat Pay API v3 against the stand-in: requests signed as documented, callbacks verified
with the platform key named by serial, resources decrypted, and every doubtful callback
refused with nothing credited and a security event recorded."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from litestar.testing import TestClient

from core.accounts.tables import SecurityEvent
from core.ledger.payment_postings import payment_summary
from core.payments import crypto, wechat
from core.payments.standin import gateway as standin
from core.payments.standin import notices
from core.payments.tables import Payment, PaymentNotification
from core.tenancy.scoped import tenant_transaction
from tests.payments.conftest import Shop, post_form

pytestmark = pytest.mark.db
NOTIFY = "/payments/notify/wechat_pay"


def test_requests_are_signed_over_method_path_timestamp_nonce_and_body() -> None:
    key = crypto.new_rsa_key()
    header = wechat.authorization(
        "1900000109", "SERIAL1", key, "POST", "/v3/pay/transactions/native", '{"a":1}', "1700000000"
    )
    assert header.startswith('WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="')
    fields = wechat.parse_authorization(header)
    assert fields["serial_no"] == "SERIAL1" and fields["timestamp"] == "1700000000"
    message = f'POST\n/v3/pay/transactions/native\n1700000000\n{fields["nonce_str"]}\n{{"a":1}}\n'
    crypto.rsa_verify(key.public_key(), message.encode(), fields["signature"])
    with pytest.raises(crypto.BadSignature):
        crypto.rsa_verify(
            key.public_key(), message.replace("POST", "GET").encode(), fields["signature"]
        )


async def start_wechat(browser: TestClient, shop: Shop) -> str:
    """The customer chooses WeChat Pay at checkout; returns the payment id."""
    answer = post_form(
        browser, f"/pay/{shop.booking}", f"/pay/{shop.booking}", {"method": "wechat_pay"}
    )
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith("/pay/result/")
    return location.rsplit("/", 1)[-1]


async def payment(shop: Shop, payment_id: str) -> dict[str, Any]:
    (row,) = await shop.world.rows(Payment, id=payment_id)
    return row


async def test_paying_through_the_wechat_stand_in_captures_and_posts_to_the_ledger(
    browser: TestClient, shop: Shop
) -> None:
    payment_id = await start_wechat(browser, shop)
    waiting = browser.get(f"/pay/result/{payment_id}")
    assert waiting.status_code == 200 and "<svg" in waiting.text
    assert f"/standin/wechat/pay/{payment_id}" in waiting.text

    confirmed = post_form(
        browser, f"/standin/wechat/pay/{payment_id}", f"/standin/wechat/pay/{payment_id}"
    )
    assert confirmed.status_code == 303
    row = await payment(shop, payment_id)
    assert row["status"] == "captured" and row["amount_fen"] == shop.total_fen
    assert row["gateway_txn"].startswith("4200")
    async with tenant_transaction(shop.tenant_id):
        summary = await payment_summary(shop.tenant_id, payment_id)
    assert summary.captured == shop.total_fen
    assert summary.source == "gateway_clearing:wechat_pay"
    paid = browser.get(f"/pay/result/{payment_id}")
    assert f"/pay/receipt/{payment_id}" in paid.text


def tamper(body: bytes, at: int) -> bytes:
    changed = bytearray(body)
    changed[at] ^= 0x01
    return bytes(changed)


async def bad_notifications(
    shop: Shop, order: standin.StandinOrder
) -> dict[str, tuple[dict[str, str], bytes]]:
    keys = shop.gateway.keys
    paid = notices.wechat_transaction(order)
    good_headers, good_body = notices.wechat_notification(keys, paid)
    other_keys = standin.StandinKeys.generate()
    forged = notices.wechat_notification(other_keys, paid)
    probe_headers = {
        **good_headers,
        "wechatpay-signature": "WECHATPAY/SIGNTEST/" + good_headers["wechatpay-signature"],
    }
    return {
        "a byte changed in the body": (good_headers, tamper(good_body, len(good_body) // 2)),
        "a byte changed in the signature": (
            {
                **good_headers,
                "wechatpay-signature": good_headers["wechatpay-signature"][:-6] + "AAAA==",
            },
            good_body,
        ),
        "signed with another key": (
            {**forged[0], "wechatpay-serial": keys.wechat_platform_serial},
            forged[1],
        ),
        "an unknown serial": (
            {**good_headers, "wechatpay-serial": "PUB_KEY_ID_UNKNOWN"},
            good_body,
        ),
        "a signature probe": (probe_headers, good_body),
        "a wrong amount": notices.wechat_notification(
            keys, {**paid, "amount": {**paid["amount"], "total": order.amount_fen - 1}}
        ),
        "another merchant": notices.wechat_notification(keys, {**paid, "mchid": "1900000999"}),
        "another app": notices.wechat_notification(keys, {**paid, "appid": "wx0000000000000000"}),
        "an unknown order": notices.wechat_notification(keys, {**paid, "out_trade_no": "f" * 32}),
        "a stale timestamp": notices.wechat_notification(
            keys, paid, timestamp=int(time.time()) - 301
        ),
        "a resource encrypted with another key": notices.wechat_notification(
            standin.StandinKeys(**{**keys.__dict__, "wechat_v3_key": "x" * 32}), paid
        ),
    }


async def test_a_doubtful_notification_is_refused_credits_nothing_and_is_logged(
    browser: TestClient, shop: Shop
) -> None:
    payment_id = await start_wechat(browser, shop)
    order = shop.gateway.pay(payment_id.replace("-", ""))
    for case, (headers, body) in (await bad_notifications(shop, order)).items():
        answer = browser.post(NOTIFY, content=body, headers=headers)
        assert answer.status_code == 400, case
        assert answer.json()["code"] == "FAIL", case
        assert (await payment(shop, payment_id))["status"] == "pending", case
    assert await shop.world.rows(PaymentNotification) == []
    events = await shop.world.rows(SecurityEvent)
    assert len(events) == 11
    assert {e["kind"] for e in events} == {"payment_notice_rejected"}
    assert {e["detail"].split(": ", 1)[1] for e in events} >= {
        "bad signature",
        "a signature-probe message",
        "unknown platform key serial",
        "another merchant's notification",
        "another app's notification",
        "unknown order",
        "timestamp outside the 5-minute window",
        "the resource does not decrypt",
    }
    async with tenant_transaction(shop.tenant_id):
        assert (await payment_summary(shop.tenant_id, payment_id)).captured == 0

    # the genuine notification is still taken, and answered as the docs say (no body)
    headers, body = notices.wechat_notification(
        shop.gateway.keys, notices.wechat_transaction(order)
    )
    answer = browser.post(NOTIFY, content=body, headers=headers)
    assert answer.status_code == 204 and answer.content == b""
    assert (await payment(shop, payment_id))["status"] == "captured"


async def test_the_decrypted_resource_is_what_the_gateway_encrypted(shop: Shop) -> None:
    order = standin.StandinOrder(
        "wechat_pay", "a" * 32, 100, "CNY", "", "", "", {"mchid": "1", "appid": "w"}
    )
    _, body = notices.wechat_notification(shop.gateway.keys, notices.wechat_transaction(order))
    resource = json.loads(body)["resource"]
    plain = crypto.aes_gcm_decrypt(
        shop.gateway.keys.wechat_v3_key.encode(),
        resource["nonce"].encode(),
        resource["ciphertext"],
        b"transaction",
    )
    assert json.loads(plain)["amount"]["total"] == 100
    with pytest.raises(crypto.BadSignature):
        crypto.aes_gcm_decrypt(
            shop.gateway.keys.wechat_v3_key.encode(),
            resource["nonce"].encode(),
            resource["ciphertext"],
            b"refund",
        )
