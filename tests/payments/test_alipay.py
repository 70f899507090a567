"""Alipay against the stand-in: RSA2 signing of sorted raw parameters, the cashier, the
asynchronous notification answered with exactly ``success``, and every doubtful one refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from litestar.testing import TestClient

from core.accounts.tables import SecurityEvent
from core.payments import alipay
from core.payments.standin import gateway as standin
from core.payments.standin import notices
from core.payments.tables import Payment
from tests.payments.conftest import Shop, post_form

pytestmark = pytest.mark.db
NOTIFY = "/payments/notify/alipay"
FORM = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}


def test_the_signed_string_is_sorted_raw_pairs_without_sign_and_empty_values() -> None:
    params = {"b": "2", "a": "x y&z=中", "sign": "S", "sign_type": "RSA2", "c": ""}
    assert alipay.sign_content(params) == "a=x y&z=中&b=2&sign_type=RSA2".encode()
    assert alipay.sign_content(params, exclude=("sign", "sign_type")) == "a=x y&z=中&b=2".encode()
    assert alipay.yuan(12345) == "123.45" and alipay.yuan(5) == "0.05"
    assert alipay.fen_of("123.45") == 12345


async def start_alipay(browser: TestClient, shop: Shop) -> tuple[str, dict[str, str]]:
    """Checkout sends the browser to the (stand-in) cashier with the signed request."""
    answer = post_form(
        browser, f"/pay/{shop.booking}", f"/pay/{shop.booking}", {"method": "alipay"}
    )
    assert answer.status_code == 303, answer.text
    url = httpx.URL(answer.headers["location"])
    assert url.path == "/standin/alipay/gateway.do"
    params = dict(url.params)
    assert params["method"] == "alipay.trade.wap.pay" and params["sign_type"] == "RSA2"
    shop.gateway.verify_alipay_request(params)  # signed with the app key, as documented
    return params["biz_content"].split('"out_trade_no":"')[1][:32], params


async def test_paying_at_the_alipay_cashier_captures_the_payment(
    browser: TestClient, shop: Shop
) -> None:
    no, params = await start_alipay(browser, shop)
    cashier = "/standin/alipay/gateway.do?" + httpx.QueryParams(params).__str__()
    page = browser.get(cashier)
    assert page.status_code == 200 and "确认付款" in page.text
    answer = post_form(browser, cashier, "/standin/alipay/gateway.do", params)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/pay/result/")
    (row,) = await shop.world.rows(Payment, out_trade_no=no)
    assert row["status"] == "captured" and row["method"] == "alipay"


async def test_doubtful_alipay_notifications_are_answered_fail_and_credit_nothing(
    browser: TestClient, shop: Shop
) -> None:
    no, params = await start_alipay(browser, shop)
    gateway = shop.gateway
    order = gateway.pay(gateway.register_alipay(params).out_trade_no)
    good = notices.alipay_paid_params(order, "2088000000000001")
    stale = (datetime.now(alipay.BEIJING) - timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
    other = standin.StandinKeys.generate()
    bodies = {
        "a byte changed": notices.alipay_notification(gateway.keys, good).replace(
            b"TRADE_SUCCESS", b"TRADE_SUCCEST"
        ),
        "signed by another key": notices.alipay_notification(other, good),
        "a wrong amount": notices.alipay_notification(
            gateway.keys, {**good, "total_amount": "0.01"}
        ),
        "another seller": notices.alipay_notification(
            gateway.keys, {**good, "seller_id": "2088999999999999"}
        ),
        "another app": notices.alipay_notification(
            gateway.keys, {**good, "app_id": "2021999999999999"}
        ),
        "an unknown order": notices.alipay_notification(
            gateway.keys, {**good, "out_trade_no": "e" * 32}
        ),
        "a stale notify_time": notices.alipay_notification(
            gateway.keys, {**good, "notify_time": stale}
        ),
    }
    for case, body in bodies.items():
        answer = browser.post(NOTIFY, content=body, headers=FORM)
        assert answer.text == "fail", case
    (row,) = await shop.world.rows(Payment, out_trade_no=no)
    assert row["status"] == "pending"
    assert len(await shop.world.rows(SecurityEvent)) == len(bodies)

    answer = browser.post(
        NOTIFY, content=notices.alipay_notification(gateway.keys, good), headers=FORM
    )
    assert answer.status_code == 200 and answer.text == "success"
    (row,) = await shop.world.rows(Payment, out_trade_no=no)
    assert row["status"] == "captured" and row["gateway_txn"] == order.txn

    # TRADE_FINISHED later (a new message) changes nothing: captured once
    finished = notices.alipay_notification(
        gateway.keys, {**good, "notify_id": "finished-1", "trade_status": "TRADE_FINISHED"}
    )
    assert browser.post(NOTIFY, content=finished, headers=FORM).text == "success"
    (row,) = await shop.world.rows(Payment, out_trade_no=no)
    assert row["version"] == 2
