"""One active payment per booking: a customer paying the same booking by two methods at once
gets one payment and one refusal, so the booking cannot be credited twice; money that still
reaches a gateway for a payment closed meanwhile is not credited, and reconciliation lists it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from core.ledger.tables import LedgerJournal
from core.payments.clock import utc_now
from core.payments.reconciliation import period, reconcile_period
from core.payments.standin import notices
from core.payments.tables import Payment
from core.tenancy.scoped import tenant_transaction
from tests.payments.conftest import HOST, Shop

pytestmark = pytest.mark.db
METHODS = ("wechat_pay", "card", "wechat_pay", "card")


async def pay_with(client: httpx.AsyncClient, shop: Shop, method: str) -> httpx.Response:
    return await client.post(
        f"/api/v1/bookings/{shop.booking}/payments",
        json={"method": method},
        headers={"authorization": f"Bearer {shop.token}"},
    )


async def notify_paid(client: httpx.AsyncClient, shop: Shop, payment: dict[str, Any]) -> None:
    """The gateway of ``payment`` tells the kit it was paid."""
    order = shop.gateway.pay(str(payment["id"]).replace("-", ""))
    if payment["method"] == "wechat_pay":
        headers, body = notices.wechat_notification(
            shop.gateway.keys, notices.wechat_transaction(order)
        )
    else:
        headers, body = notices.card_notification(
            shop.gateway.keys, notices.card_paid_payload(order, "4242")
        )
    answer = await client.post(
        f"/payments/notify/{payment['method']}", content=body, headers=headers
    )
    assert answer.status_code == 204


async def test_two_methods_at_once_make_one_payment_and_one_refusal(app: Any, shop: Shop) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        answers = await asyncio.gather(*(pay_with(client, shop, m) for m in METHODS))
        assert {a.status_code for a in answers} == {201, 409}
        assert len({a.json()["id"] for a in answers if a.status_code == 201}) == 1
        winner = next(a.json()["method"] for a in answers if a.status_code == 201)
        # The other method is refused; the same method again reuses the payment (SQLite's
        # single writer) or is refused too (PostgreSQL: both inserted at once, one wins).
        for method, answer in zip(METHODS, answers, strict=True):
            if method != winner:
                assert answer.status_code == 409
                assert answer.json()["problems"][0]["field"] == "payment"

        (row,) = await shop.world.rows(Payment, booking=shop.booking)
        assert row["status"] == "pending"
        await notify_paid(client, shop, row)
        other = "card" if row["method"] == "wechat_pay" else "wechat_pay"
        again = await pay_with(client, shop, other)
        assert again.status_code == 409
        assert again.json()["problems"][0]["field"] == "status"
    (row,) = await shop.world.rows(Payment, booking=shop.booking)
    assert row["status"] == "captured"
    journals = await shop.world.rows(LedgerJournal, booking=shop.booking)
    assert [(j["kind"], j["amount_fen"]) for j in journals] == [("capture", shop.total_fen)]


async def test_a_closed_payment_paid_late_is_not_credited_and_reconciliation_lists_it(
    app: Any, shop: Shop
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        first = (await pay_with(client, shop, "wechat_pay")).json()["id"]
        # The customer walks away; the order expires and is closed here...
        async with tenant_transaction(shop.tenant_id):
            await Payment.update({Payment.status: "closed"}).where(Payment.id == first)
        second = await pay_with(client, shop, "card")
        assert second.status_code == 201
        card_order = shop.gateway.orders[second.json()["id"].replace("-", "")]
        shop.gateway.pay(card_order.out_trade_no)
        headers, body = notices.card_notification(
            shop.gateway.keys, notices.card_paid_payload(card_order, "4242")
        )
        assert (
            await client.post("/payments/notify/card", content=body, headers=headers)
        ).status_code == 204
        # ...but the old QR code is paid too, after the card payment.
        late = shop.gateway.pay(first.replace("-", ""))
        headers, body = notices.wechat_notification(
            shop.gateway.keys, notices.wechat_transaction(late)
        )
        answer = await client.post("/payments/notify/wechat_pay", content=body, headers=headers)
        assert answer.status_code == 204  # taken (the gateway stops retrying), not credited

    rows = {str(r["id"]): r["status"] for r in await shop.world.rows(Payment, booking=shop.booking)}
    assert rows == {first: "closed", second.json()["id"]: "captured"}
    journals = await shop.world.rows(LedgerJournal, booking=shop.booking)
    assert [(str(j["payment"]), j["kind"]) for j in journals] == [(second.json()["id"], "capture")]

    today = utc_now().date()
    first_day, last_day, start, end = period(
        (today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat(), "UTC"
    )
    async with tenant_transaction(shop.tenant_id):
        report = await reconcile_period(shop.tenant_id, first_day, last_day, start, end)
    assert report.matched == 1
    assert [
        (line.difference.reference, line.difference.problem, line.difference.gap_fen)
        for line in report.lines
    ] == [(first, "missing_in_ledger", shop.total_fen)]
    assert report.lines[0].method == "wechat_pay"
