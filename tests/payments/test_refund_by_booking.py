"""After-sales refunds by booking, without a web request: once per key, to the original method;
a refund the gateway did not answer stays pending and the worker asks again, crediting the
ledger once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from core.ledger.tables import LedgerJournal
from core.payments.clock import utc_now
from core.payments.gateways import enabled_methods, use_runtime
from core.payments.jobs import run_payment_jobs
from core.payments.refunds import refund_booking
from core.payments.service import PaymentError
from core.payments.standin import notices
from core.payments.tables import Payment, Refund
from core.payments.wechat import WeChatPay
from tests.payments.conftest import HOST, Shop

pytestmark = pytest.mark.db


async def paid_by_wechat(app: Any, shop: Shop) -> str:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        created = await client.post(
            f"/api/v1/bookings/{shop.booking}/payments",
            json={"method": "wechat_pay"},
            headers={"authorization": f"Bearer {shop.token}"},
        )
        payment_id = str(created.json()["id"])
        order = shop.gateway.pay(payment_id.replace("-", ""))
        headers, body = notices.wechat_notification(
            shop.gateway.keys, notices.wechat_transaction(order)
        )
        answer = await client.post("/payments/notify/wechat_pay", content=body, headers=headers)
        assert answer.status_code == 204
    return payment_id


@pytest.fixture
def runtime(settings: Any, plugins: Any) -> None:
    use_runtime(settings, plugins)


async def test_a_refund_by_booking_goes_to_the_original_method_once_per_key(
    app: Any, runtime: None, shop: Shop
) -> None:
    world = shop.world
    with pytest.raises(PaymentError) as unpaid:
        await refund_booking(
            world.tenant, shop.tenant_id, shop.booking, 500, key="k", reason="r", now=utc_now()
        )
    assert unpaid.value.field == "booking"
    payment_id = await paid_by_wechat(app, shop)

    made = [
        await refund_booking(
            world.tenant,
            shop.tenant_id,
            shop.booking,
            500,
            key="after-sales:1",
            reason="after-sales",
            now=utc_now(),
        )
        for _ in range(3)
    ]

    assert {(str(r["id"]), r["status"], r["amount_fen"]) for r in made} == {
        (str(made[0]["id"]), "succeeded", 500)
    }
    (row,) = await world.rows(Payment, id=payment_id)
    assert row["refunded_fen"] == 500
    assert shop.gateway.orders[payment_id.replace("-", "")].refunded_fen == 500
    journals = await world.rows(LedgerJournal, payment=payment_id)
    assert sorted(j["kind"] for j in journals) == ["capture", "refund"]
    with pytest.raises(PaymentError) as too_much:
        await refund_booking(
            world.tenant,
            shop.tenant_id,
            shop.booking,
            shop.total_fen,
            key="after-sales:2",
            reason="after-sales",
            now=utc_now(),
        )
    assert (too_much.value.field, too_much.value.status_code) == ("amountFen", 409)


async def test_a_refund_the_gateway_did_not_answer_is_asked_again_by_the_worker(
    app: Any, settings: Any, runtime: None, shop: Shop
) -> None:
    world = shop.world
    payment_id = await paid_by_wechat(app, shop)
    methods = enabled_methods(settings, world.plugins, world.tenant)

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route to the gateway", request=request)

    down = WeChatPay(
        world.tenant, methods["wechat_pay"].settings, transport=httpx.MockTransport(unreachable)
    )
    now = utc_now()
    pending = await refund_booking(
        world.tenant,
        shop.tenant_id,
        shop.booking,
        800,
        key="after-sales:down",
        reason="after-sales",
        now=now,
        methods={**methods, "wechat_pay": down},
    )
    assert pending["status"] == "pending"
    (row,) = await world.rows(Payment, id=payment_id)
    assert row["refunded_fen"] == 800  # reserved while the gateway's answer is unknown
    assert [j["kind"] for j in await world.rows(LedgerJournal, payment=payment_id)] == ["capture"]

    soon = await run_payment_jobs(settings, world.plugins, world.tenant, shop.tenant_id, now)
    assert "refunds_retried" not in soon  # asked again only after a while
    later = now + timedelta(minutes=3)
    report = await run_payment_jobs(settings, world.plugins, world.tenant, shop.tenant_id, later)
    assert report == {"refunds_retried": 1, "refunds_succeeded": 1}
    again = await run_payment_jobs(settings, world.plugins, world.tenant, shop.tenant_id, later)
    assert again == {}

    (refund,) = await world.rows(Refund, payment=payment_id)
    assert refund["status"] == "succeeded"
    journals = await world.rows(LedgerJournal, payment=payment_id)
    assert sorted((j["kind"], j["amount_fen"]) for j in journals) == [
        ("capture", shop.total_fen),
        ("refund", 800),
    ]
    assert shop.gateway.orders[payment_id.replace("-", "")].refunded_fen == 800
