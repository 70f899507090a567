"""An upheld complaint with a refund: the money goes back through the booking's payment method
(the WeChat Pay stand-in) and is posted to the ledger once, however often the worker retries;
a complaint reopened and granted more refunds only the difference."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.ledger.tables import LedgerJournal
from core.payments import service as payments
from core.payments.gateways import enabled_methods, use_runtime
from core.payments.provider import GatewayEvent
from core.payments.standin.gateway import use_fresh_keys
from core.payments.tables import Payment, Refund
from core.quality import outcomes
from core.quality.jobs import settle_awaiting
from core.quality.outcomes import Resolution
from core.quality.tables import Complaint
from core.tenancy.scoped import tenant_transaction
from tests.quality.test_complaints import LATER, complain
from tests.quality.world import STAFF_ACTOR, Served

pytestmark = pytest.mark.db


async def pay_by_wechat(served: Served, settings: Any) -> str:
    """The customer pays the served booking with WeChat Pay (the stand-in)."""
    world = served.world
    gateway = use_fresh_keys(settings.var_dir)
    use_runtime(settings, world.plugins)
    methods = enabled_methods(settings, world.plugins, world.tenant)
    payment, _ = await payments.start_payment(
        methods,
        world.tenant,
        world.tenant_id,
        served.booking,
        served.customer,
        "wechat_pay",
        description="洁家",
        base_url="http://jiejia.localhost",
        now=LATER,
    )
    order = gateway.pay(payment["out_trade_no"])
    event = GatewayEvent(
        "EV-test", order.out_trade_no, "captured", order.amount_fen, order.txn, at=LATER
    )
    async with tenant_transaction(world.tenant_id):
        taken = await payments.apply_event(
            methods["wechat_pay"], world.tenant, world.tenant_id, payment, event, LATER
        )
    assert taken.applied == "captured"
    return str(payment["id"])


async def resolve_with_refund(served: Served, cid: str, refund_fen: int, at: Any) -> Any:
    world = served.world
    return await outcomes.resolve(
        world.plugins,
        world.tenant,
        world.tenant_id,
        world.catalog,
        cid,
        STAFF_ACTOR.user_id or "",
        Resolution(reply="很抱歉，为您退还部分费用", upheld=True, refund_fen=refund_fen),
        now=at,
    )


async def test_an_upheld_complaint_refunds_through_the_payment_method_and_posts_once(
    served: Served, settings: Any
) -> None:
    world = served.world
    payment_id = await pay_by_wechat(served, settings)
    paid = (await world.booking(served.booking))["total_fen"]
    cid = await complain(served, settings)

    view = await resolve_with_refund(served, cid, paid // 4, LATER + timedelta(hours=2))

    assert view.money_status == "done"
    (refund,) = await world.rows(Refund, payment=payment_id)
    assert (refund["status"], refund["amount_fen"]) == ("succeeded", paid // 4)
    (payment,) = await world.rows(Payment, id=payment_id)
    assert payment["refunded_fen"] == paid // 4
    # Retries (the worker's pass, a second call) post nothing more.
    assert await settle_awaiting(world.tenant, world.tenant_id, LATER + timedelta(hours=3)) == 0
    await outcomes.pay_remedies(world.tenant, world.tenant_id, cid, LATER + timedelta(hours=3))
    assert len(await world.rows(Refund, payment=payment_id)) == 1
    journals = await world.rows(LedgerJournal, payment=payment_id)
    assert sorted((j["kind"], j["amount_fen"]) for j in journals) == [
        ("capture", paid),
        ("refund", paid // 4),
    ]

    # Reopened and granted more: only the difference goes back.
    await outcomes.reopen(
        world.tenant,
        world.tenant_id,
        cid,
        served.customer,
        "还是不满意",
        LATER + timedelta(hours=4),
    )
    again = await resolve_with_refund(served, cid, paid // 10, LATER + timedelta(hours=5))
    assert again.money_status == "done" and again.refund_fen == paid // 4 + paid // 10
    refunds = await world.rows(Refund, payment=payment_id)
    assert sorted(r["amount_fen"] for r in refunds) == sorted([paid // 4, paid // 10])
    (payment,) = await world.rows(Payment, id=payment_id)
    assert payment["refunded_fen"] == paid // 4 + paid // 10


async def test_a_refund_granted_before_the_booking_is_paid_waits_and_the_worker_pays_it(
    served: Served, settings: Any
) -> None:
    world = served.world
    use_runtime(settings, world.plugins)
    paid = (await world.booking(served.booking))["total_fen"]
    cid = await complain(served, settings)

    view = await resolve_with_refund(served, cid, paid // 5, LATER + timedelta(hours=2))
    assert view.money_status == "awaiting_payments"
    assert await world.rows(Refund) == []

    payment_id = await pay_by_wechat(served, settings)
    assert await settle_awaiting(world.tenant, world.tenant_id, LATER + timedelta(hours=3)) == 1
    (row,) = await world.rows(Complaint, id=cid)
    assert row["money_status"] == "done"
    (refund,) = await world.rows(Refund, payment=payment_id)
    assert refund["amount_fen"] == paid // 5
