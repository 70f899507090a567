"""Exactly once: the same notification replayed 50 times at once through the HTTP endpoint
credits once; a notification the platform never received is found by the worker's query,
and the late notification then changes nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from core.ledger.payment_postings import payment_summary
from core.ledger.tables import LedgerJournal
from core.payments import service
from core.payments.clock import utc_now
from core.payments.gateways import enabled_methods
from core.payments.jobs import check_pending
from core.payments.standin import notices
from core.payments.tables import Payment, PaymentNotification
from core.tenancy.scoped import tenant_transaction
from tests.payments.conftest import HOST, Shop

pytestmark = pytest.mark.db


async def start(shop: Shop, app: Any, method: str) -> str:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        answer = await client.post(
            f"/api/v1/bookings/{shop.booking}/payments",
            json={"method": method},
            headers={"authorization": f"Bearer {shop.token}"},
        )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def test_one_notification_replayed_50_times_at_once_credits_once(
    app: Any, shop: Shop
) -> None:
    payment_id = await start(shop, app, "wechat_pay")
    order = shop.gateway.pay(payment_id.replace("-", ""))
    headers, body = notices.wechat_notification(
        shop.gateway.keys, notices.wechat_transaction(order)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        answers = await asyncio.gather(
            *(
                client.post("/payments/notify/wechat_pay", content=body, headers=headers)
                for _ in range(50)
            )
        )
    assert [a.status_code for a in answers] == [204] * 50
    (row,) = await shop.world.rows(Payment, id=payment_id)
    assert row["status"] == "captured"
    assert len(await shop.world.rows(PaymentNotification)) == 1
    journals = await shop.world.rows(LedgerJournal, payment=payment_id)
    assert [j["kind"] for j in journals] == ["capture"]
    async with tenant_transaction(shop.tenant_id):
        assert (await payment_summary(shop.tenant_id, payment_id)).captured == shop.total_fen


async def test_the_worker_catches_a_missed_notification_and_the_late_one_changes_nothing(
    app: Any, shop: Shop, settings: Any, plugins: Any
) -> None:
    payment_id = await start(shop, app, "alipay")
    gateway = shop.gateway
    no = payment_id.replace("-", "")
    # the customer paid at the cashier, but the notification never arrived
    assert no not in gateway.orders  # Alipay learns of the order at its cashier page
    methods = enabled_methods(settings, plugins, shop.world.tenant)
    alipay = methods["alipay"]
    (row,) = await shop.world.rows(Payment, id=payment_id)
    order = service.order_of(row, "洁家到家", f"http://{HOST}")
    checkout = await alipay.create_payment(order)
    params = dict(httpx.URL(checkout.redirect_url).params)
    gateway.pay(gateway.register_alipay(params).out_trade_no)

    later = utc_now() + timedelta(minutes=5)
    report = await check_pending(
        methods, shop.world.tenant, shop.tenant_id, base_url=f"http://{HOST}", now=later
    )
    assert report == {"payments_queried": 1, "payments_captured_by_query": 1, "payments_closed": 0}
    (row,) = await shop.world.rows(Payment, id=payment_id)
    assert row["status"] == "captured"

    late = notices.alipay_notification(
        gateway.keys, notices.alipay_paid_params(gateway.orders[no], "2088000000000001")
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        answer = await client.post(
            "/payments/notify/alipay",
            content=late,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert answer.text == "success"
    assert [j["kind"] for j in await shop.world.rows(LedgerJournal, payment=payment_id)] == [
        "capture"
    ]
    again = await check_pending(
        methods, shop.world.tenant, shop.tenant_id, base_url=f"http://{HOST}", now=later
    )
    assert again["payments_queried"] == 0


async def test_an_order_the_gateway_never_heard_of_is_closed_after_two_hours(
    app: Any, shop: Shop, settings: Any, plugins: Any
) -> None:
    payment_id = await start(shop, app, "card")
    shop.gateway.orders.clear()
    methods = enabled_methods(settings, plugins, shop.world.tenant)
    soon = await check_pending(
        methods,
        shop.world.tenant,
        shop.tenant_id,
        base_url=f"http://{HOST}",
        now=utc_now() + timedelta(minutes=3),
    )
    assert soon == {"payments_queried": 1, "payments_captured_by_query": 0, "payments_closed": 0}
    later = await check_pending(
        methods,
        shop.world.tenant,
        shop.tenant_id,
        base_url=f"http://{HOST}",
        now=utc_now() + timedelta(hours=3),
    )
    assert later["payments_closed"] == 1
    (row,) = await shop.world.rows(Payment, id=payment_id)
    assert row["status"] == "closed"
