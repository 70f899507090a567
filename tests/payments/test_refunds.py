"""Refunds go back to the original method, in full or in parts, and never add up to more than
was captured, also when staff press the button twice at once."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from core.accounts.passwords import create_staff
from core.accounts.signin import issue_token
from core.ledger.payment_postings import payment_summary
from core.payments.standin import notices
from core.payments.tables import Payment, Refund
from core.tenancy.scoped import tenant_transaction
from tests.payments.conftest import HOST, Shop

pytestmark = pytest.mark.db


async def paid_by_wechat(client: httpx.AsyncClient, shop: Shop) -> str:
    created = await client.post(
        f"/api/v1/bookings/{shop.booking}/payments",
        json={"method": "wechat_pay"},
        headers={"authorization": f"Bearer {shop.token}"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["checkout"]["qrPayload"].startswith("weixin://wxpay/bizpayurl?pr=")
    payment_id = str(created.json()["id"])
    order = shop.gateway.pay(payment_id.replace("-", ""))
    headers, body = notices.wechat_notification(
        shop.gateway.keys, notices.wechat_transaction(order)
    )
    assert (
        await client.post("/payments/notify/wechat_pay", content=body, headers=headers)
    ).status_code == 204
    return payment_id


async def staff_token(shop: Shop, roles: list[str]) -> str:
    staff = await create_staff(
        shop.tenant_id, f"{roles[0]}@jiejia.test", "correct horse battery", roles, "林小雅"
    )
    return await issue_token(staff, shop.tenant_id, label="test")


async def test_partial_then_full_refunds_never_exceed_the_capture(app: Any, shop: Shop) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        payment_id = await paid_by_wechat(client, shop)
        admin = {"authorization": f"Bearer {await staff_token(shop, ['admin'])}"}
        url = f"/api/v1/payments/{payment_id}/refunds"

        by_customer = await client.post(
            url, json={"amountFen": 100}, headers={"authorization": f"Bearer {shop.token}"}
        )
        assert by_customer.status_code == 403
        for bad in ({"amountFen": 0}, {"amountFen": -5}, {"amountFen": 1.5}):
            answer = await client.post(url, json=bad, headers=admin)
            assert answer.status_code == 400, bad
        partial = await client.post(
            url, json={"amountFen": 1000, "reason": "少做一间"}, headers=admin
        )
        assert partial.status_code == 201 and partial.json()["status"] == "succeeded"
        too_much = await client.post(url, json={"amountFen": shop.total_fen}, headers=admin)
        assert too_much.status_code == 409
        assert too_much.json()["problems"][0]["field"] == "amountFen"
        rest = await client.post(url, json={}, headers=admin)
        assert rest.status_code == 201 and rest.json()["amountFen"] == shop.total_fen - 1000
        nothing_left = await client.post(url, json={"amountFen": 1}, headers=admin)
        assert nothing_left.status_code == 409

        seen = await client.get(
            f"/api/v1/payments/{payment_id}", headers={"authorization": f"Bearer {shop.token}"}
        )
        assert seen.json()["refundedFen"] == shop.total_fen
        assert [r["status"] for r in seen.json()["refunds"]] == ["succeeded", "succeeded"]
    order = shop.gateway.orders[payment_id.replace("-", "")]
    assert (
        order.refunded_fen == shop.total_fen
    )  # given back through WeChat Pay, the original method
    async with tenant_transaction(shop.tenant_id):
        summary = await payment_summary(shop.tenant_id, payment_id)
    assert (summary.captured, summary.refunded) == (shop.total_fen, shop.total_fen)


async def test_concurrent_refunds_together_never_exceed_the_capture(app: Any, shop: Shop) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        payment_id = await paid_by_wechat(client, shop)
        admin = {"authorization": f"Bearer {await staff_token(shop, ['support'])}"}
        share = shop.total_fen // 3 + 1  # three of these are more than the capture
        answers = await asyncio.gather(
            *(
                client.post(
                    f"/api/v1/payments/{payment_id}/refunds",
                    json={"amountFen": share},
                    headers=admin,
                )
                for _ in range(6)
            )
        )
    assert sorted(a.status_code for a in answers) == [201, 201, 409, 409, 409, 409]
    (row,) = await shop.world.rows(Payment, id=payment_id)
    assert row["refunded_fen"] == 2 * share <= row["amount_fen"]
    refunds = await shop.world.rows(Refund, payment=payment_id)
    assert sorted(r["status"] for r in refunds) == ["succeeded", "succeeded"]
    async with tenant_transaction(shop.tenant_id):
        assert (await payment_summary(shop.tenant_id, payment_id)).refunded == 2 * share


async def test_a_pending_payment_cannot_be_refunded(app: Any, shop: Shop) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        created = await client.post(
            f"/api/v1/bookings/{shop.booking}/payments",
            json={"method": "alipay"},
            headers={"authorization": f"Bearer {shop.token}"},
        )
        admin = {"authorization": f"Bearer {await staff_token(shop, ['admin'])}"}
        answer = await client.post(
            f"/api/v1/payments/{created.json()['id']}/refunds", json={"amountFen": 1}, headers=admin
        )
    assert answer.status_code == 409 and answer.json()["problems"][0]["field"] == "status"
