"""The customer's payment pages: reached from the booking, in Chinese and English, a receipt
PDF with Chinese text once paid; another customer's payment is a 404."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from core.accounts.signin import start_session
from core.payments.standin import notices
from tests.payments.conftest import HOST, Shop, post_form

pytestmark = pytest.mark.db


async def test_checkout_is_reached_from_the_booking_and_offers_the_tenants_methods(
    browser: TestClient, shop: Shop
) -> None:
    booking = browser.get(f"/bookings/{shop.booking}")
    assert f'href="/pay/{shop.booking}"' in booking.text
    page = browser.get(f"/pay/{shop.booking}")
    assert page.status_code == 200
    for label in ("微信支付", "支付宝", "银行卡", "现金"):
        assert label in page.text
    browser.cookies.set("doorstep_lang", "en", domain=HOST)
    english = browser.get(f"/pay/{shop.booking}")
    assert "Pay for your booking" in english.text and "WeChat Pay" in english.text
    unknown = post_form(
        browser, f"/pay/{shop.booking}", f"/pay/{shop.booking}", {"method": "bitcoin"}
    )
    assert (
        unknown.status_code == 400 and "Choose one of the payment methods offered." in unknown.text
    )


async def test_the_receipt_is_a_pdf_for_the_paying_customer_only(
    app: Any, browser: TestClient, shop: Shop
) -> None:
    answer = post_form(
        browser, f"/pay/{shop.booking}", f"/pay/{shop.booking}", {"method": "wechat_pay"}
    )
    payment_id = answer.headers["location"].rsplit("/", 1)[-1]
    assert browser.get(f"/pay/receipt/{payment_id}").status_code == 404  # not paid yet
    order = shop.gateway.pay(payment_id.replace("-", ""))
    headers, body = notices.wechat_notification(
        shop.gateway.keys, notices.wechat_transaction(order)
    )
    assert (
        browser.post("/payments/notify/wechat_pay", content=body, headers=headers).status_code
        == 204
    )
    result = browser.get(f"/pay/result/{payment_id}")
    assert "已收到付款" in result.text
    receipt = browser.get(f"/pay/receipt/{payment_id}")
    assert receipt.status_code == 200
    assert receipt.headers["content-type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF") and b"NotoSansCJK" in receipt.content

    stranger = await shop.world.customer()
    with TestClient(app, base_url=f"http://{HOST}") as other:
        other.cookies.set(
            "doorstep_session", await start_session(stranger, shop.tenant_id), domain=HOST
        )
        assert other.get(f"/pay/receipt/{payment_id}").status_code == 404
        assert other.get(f"/pay/result/{payment_id}").status_code == 404
        assert other.get(f"/pay/{shop.booking}").status_code == 404


async def test_the_stand_in_wechat_page_shows_the_order_it_knows_only(
    browser: TestClient, shop: Shop
) -> None:
    answer = post_form(
        browser, f"/pay/{shop.booking}", f"/pay/{shop.booking}", {"method": "wechat_pay"}
    )
    payment_id = answer.headers["location"].rsplit("/", 1)[-1]
    assert browser.get(f"/standin/wechat/pay/{payment_id}").status_code == 200
    shop.gateway.orders.clear()  # e.g. the demo restarted: start again from checkout
    assert browser.get(f"/standin/wechat/pay/{payment_id}").status_code == 404
