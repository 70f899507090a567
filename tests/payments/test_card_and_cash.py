"""Bank card through the hosted payment page (the card number never reaches the kit) and cash
collected by the provider (owed to the platform)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from core.accounts.signin import issue_token
from core.ledger.payment_postings import payment_summary
from core.payments.standin import notices
from core.payments.tables import Payment
from core.tenancy.scoped import tenant_transaction
from tests.payments.conftest import HOST, Shop, post_form
from tests.tenant_access import all_tenants

pytestmark = pytest.mark.db
CARD = "4242 4242 4242 4242"


async def test_a_card_payment_on_the_hosted_page_never_shows_the_kit_the_card_number(
    browser: TestClient, shop: Shop
) -> None:
    answer = post_form(browser, f"/pay/{shop.booking}", f"/pay/{shop.booking}", {"method": "card"})
    assert answer.status_code == 303
    page = answer.headers["location"]
    assert page.startswith("/standin/card/pay/")
    bad = post_form(
        browser, page, page, {"number": "4242 4242 4242 4241", "expiry": "12/30", "cvc": "123"}
    )
    assert bad.status_code == 400
    paid = post_form(browser, page, page, {"number": CARD, "expiry": "12/30", "cvc": "123"})
    assert paid.status_code == 303 and paid.headers["location"].startswith("/pay/result/")
    payment_id = paid.headers["location"].rsplit("/", 1)[-1]
    (row,) = await shop.world.rows(Payment, id=payment_id)
    assert row["status"] == "captured"
    async with all_tenants():
        everything = repr([await Payment.select()])
    assert "4242" not in everything


async def test_a_card_callback_with_a_bad_hmac_or_a_stale_timestamp_is_refused(
    browser: TestClient, shop: Shop
) -> None:
    post_form(browser, f"/pay/{shop.booking}", f"/pay/{shop.booking}", {"method": "card"})
    (row,) = await shop.world.rows(Payment, booking=shop.booking)
    order = shop.gateway.pay(row["out_trade_no"])
    payload = notices.card_paid_payload(order, "4242")
    headers, body = notices.card_notification(shop.gateway.keys, payload)
    forged = {**headers, "x-gateway-signature": headers["x-gateway-signature"][:-4] + "0000"}
    stale = notices.card_notification(shop.gateway.keys, payload, timestamp=int(time.time()) - 600)
    wrong = notices.card_notification(shop.gateway.keys, {**payload, "merchant_id": "M-OTHER"})
    for given_headers, given_body in ((forged, body), stale, wrong):
        assert (
            browser.post(
                "/payments/notify/card", content=given_body, headers=given_headers
            ).status_code
            == 400
        )
    (row,) = await shop.world.rows(Payment, booking=shop.booking)
    assert row["status"] == "pending"
    assert browser.post("/payments/notify/card", content=body, headers=headers).status_code == 204
    (row,) = await shop.world.rows(Payment, booking=shop.booking)
    assert row["status"] == "captured"


async def test_cash_is_confirmed_by_the_provider_and_owed_to_the_platform(
    app: Any, shop: Shop
) -> None:
    provider_token = await issue_token(shop.provider_user, shop.tenant_id, label="test")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        created = await client.post(
            f"/api/v1/bookings/{shop.booking}/payments",
            json={"method": "cash"},
            headers={"authorization": f"Bearer {shop.token}"},
        )
        assert created.status_code == 201
        body = created.json()
        assert body["status"] == "pending" and "现金" in body["checkout"]["instructions"]["zh_CN"]
        payment_id = body["id"]
        by_customer = await client.post(
            f"/api/v1/payments/{payment_id}/cash", headers={"authorization": f"Bearer {shop.token}"}
        )
        assert by_customer.status_code == 403
        confirmed = await client.post(
            f"/api/v1/payments/{payment_id}/cash",
            headers={"authorization": f"Bearer {provider_token}"},
        )
        assert confirmed.status_code == 200 and confirmed.json()["status"] == "captured"
        again = await client.post(
            f"/api/v1/payments/{payment_id}/cash",
            headers={"authorization": f"Bearer {provider_token}"},
        )
        assert again.status_code == 200
    async with tenant_transaction(shop.tenant_id):
        summary = await payment_summary(shop.tenant_id, payment_id)
    assert summary.captured == shop.total_fen
    assert summary.source == f"cash_owed:{shop.provider}"
