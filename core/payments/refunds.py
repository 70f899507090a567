"""Refunds, full or partial, always to the payment's original method, never more than captured.

The amount is reserved first (``refunded_fen`` grows by a conditional update that cannot pass
``amount_fen``), so concurrent refunds cannot together exceed the capture; then the gateway is
asked; then the refund succeeds (and is posted to the ledger) or fails (and the reservation is
released). A gateway that does not answer leaves the refund pending with its reservation: the
money may have moved, so it is not offered again until staff look at it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from piccolo.columns.combination import WhereRaw

from core.db import write_transaction
from core.money import Money
from core.payments import ledger_link
from core.payments.provider import GatewayError, PaymentProvider
from core.payments.service import PaymentError, load_booking, load_payment, order_of
from core.payments.tables import Payment, Refund
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, within_tenant

log = logging.getLogger("doorstep.payments")


def _amount(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise PaymentError("amountFen", "must be a whole number of fen, more than zero")
    return value


@within_tenant
async def refund_payment(
    methods: dict[str, PaymentProvider],
    tenant: Tenant,
    tenant_id: str,
    payment_id: Any,
    amount_fen: int | None,
    *,
    reason: str,
    staff_id: str,
    base_url: str,
    now: datetime,
) -> dict[str, Any]:
    """Refund ``amount_fen`` (None: everything not refunded yet) of a captured payment to its
    method. Returns the refund row (``status`` succeeded or failed).

    LookupError: no such payment. PaymentError: a bad amount (400), a payment not captured or
    an amount above what is left (409), a gateway that did not answer (502, refund pending)."""
    payment = await load_payment(tenant_id, payment_id)
    provider = methods.get(payment["method"])
    if provider is None:
        raise PaymentError("method", f"{payment['method']} is no longer offered here", 409)
    left = int(payment["amount_fen"]) - int(payment["refunded_fen"])
    amount = left if amount_fen is None else _amount(amount_fen)
    refund_id = uuid.uuid4()
    async with write_transaction():
        reserved = await (
            scoped(Payment, tenant_id)
            .update(
                {
                    Payment.refunded_fen: Payment.refunded_fen + amount,
                    Payment.version: Payment.version + 1,
                    Payment.updated_at: now,
                }
            )
            .where(
                (Payment.id == payment["id"])
                & (Payment.status == "captured")
                & WhereRaw("refunded_fen + {} <= amount_fen", amount)
            )
            .returning(Payment.id)
        )
        if not reserved:
            await _refusal(tenant_id, payment["id"], amount)
        await scoped(Refund, tenant_id).insert(
            Refund(
                tenant=tenant_id,
                id=refund_id,
                payment=payment["id"],
                amount_fen=amount,
                out_refund_no=refund_id.hex,
                reason=reason[:200],
                requested_by=uuid.UUID(staff_id) if staff_id else None,
                created_at=now,
            )
        )
    order = order_of(payment, "", base_url)
    captured = Money(int(payment["amount_fen"]), payment["currency"])
    try:
        outcome = await provider.refund(
            order, refund_id.hex, Money(amount, payment["currency"]), captured
        )
    except GatewayError as exc:
        log.warning("refund of a %s payment left pending: %s", payment["method"], exc)
        raise PaymentError(
            "status", "the payment service did not answer; the refund is pending", 502
        ) from None
    async with write_transaction():
        refunds = scoped(Refund, tenant_id)
        if outcome.accepted:
            await refunds.update(
                {
                    Refund.status: "succeeded",
                    Refund.gateway_ref: outcome.gateway_ref[:80],
                    Refund.completed_at: now,
                }
            ).where(Refund.id == refund_id)
            booking = await load_booking(tenant_id, payment["booking"])
            await ledger_link.refund(
                tenant, tenant_id, payment, booking, provider, refund_id, amount, now
            )
        else:
            await refunds.update({Refund.status: "failed", Refund.completed_at: now}).where(
                Refund.id == refund_id
            )
            await (
                scoped(Payment, tenant_id)
                .update({Payment.refunded_fen: Payment.refunded_fen - amount})
                .where(Payment.id == payment["id"])
            )
    row = await scoped(Refund, tenant_id).select().where(Refund.id == refund_id).first()
    assert row is not None
    return dict(row)


async def _refusal(tenant_id: str, payment_id: Any, amount: int) -> None:
    now_row = await load_payment(tenant_id, payment_id)
    if now_row["status"] != "captured":
        raise PaymentError("status", f"a {now_row['status']} payment cannot be refunded", 409)
    left = int(now_row["amount_fen"]) - int(now_row["refunded_fen"])
    raise PaymentError("amountFen", f"at most {left} fen can still be refunded", 409)


async def refunds_of(tenant_id: str, payment_id: Any) -> list[dict[str, Any]]:
    rows = await (
        scoped(Refund, tenant_id)
        .select()
        .where(Refund.payment == payment_id)
        .order_by(Refund.created_at)
    )
    return [dict(r) for r in rows]
