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
from datetime import datetime, timedelta
from typing import Any

from piccolo.columns.combination import WhereRaw

from core.db import is_unique_or_exclusion_violation, write_transaction
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
    refund_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Refund ``amount_fen`` (None: everything not refunded yet) of a captured payment to its
    method. Returns the refund row (``status`` succeeded or failed). A ``refund_id`` already
    used returns that refund and asks nothing again (after-sales retries).

    LookupError: no such payment. PaymentError: a bad amount (400), a payment not captured or
    an amount above what is left (409), a gateway that did not answer (502, refund pending)."""
    payment = await load_payment(tenant_id, payment_id)
    provider = methods.get(payment["method"])
    if provider is None:
        raise PaymentError("method", f"{payment['method']} is no longer offered here", 409)
    left = int(payment["amount_fen"]) - int(payment["refunded_fen"])
    amount = left if amount_fen is None else _amount(amount_fen)
    refund_id = refund_id or uuid.uuid4()
    async with write_transaction():
        if await _refund_row(tenant_id, refund_id) is not None:
            seen = True
        else:
            seen = False
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
    if not seen:
        await _complete(provider, tenant, tenant_id, payment, refund_id, amount, base_url, now)
    row = await _refund_row(tenant_id, refund_id)
    assert row is not None
    return row


async def _refund_row(tenant_id: str, refund_id: Any) -> dict[str, Any] | None:
    row = await scoped(Refund, tenant_id).select().where(Refund.id == refund_id).first()
    return None if row is None else dict(row)


async def _complete(
    provider: PaymentProvider,
    tenant: Tenant,
    tenant_id: str,
    payment: dict[str, Any],
    refund_id: uuid.UUID,
    amount: int,
    base_url: str,
    now: datetime,
) -> None:
    """Ask the gateway for a refund already reserved (again, for one left pending: the
    gateways refund a refund number once) and record its answer once."""
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
        still_pending = (Refund.id == refund_id) & (Refund.status == "pending")
        if outcome.accepted:
            moved = await (
                refunds.update(
                    {
                        Refund.status: "succeeded",
                        Refund.gateway_ref: outcome.gateway_ref[:80],
                        Refund.completed_at: now,
                    }
                )
                .where(still_pending)
                .returning(Refund.id)
            )
            if moved:
                booking = await load_booking(tenant_id, payment["booking"])
                await ledger_link.refund(
                    tenant, tenant_id, payment, booking, provider, refund_id, amount, now
                )
        else:
            moved = await (
                refunds.update({Refund.status: "failed", Refund.completed_at: now})
                .where(still_pending)
                .returning(Refund.id)
            )
            if moved:
                await (
                    scoped(Payment, tenant_id)
                    .update({Payment.refunded_fen: Payment.refunded_fen - amount})
                    .where(Payment.id == payment["id"])
                )


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


REFUND_NAMESPACE = uuid.UUID("6f1c0b52-3d5e-4a57-9d0e-7a7f3f0c2b11")


def refund_id_for(tenant_id: Any, key: str) -> uuid.UUID:
    """The refund made for ``key`` (one per key and tenant, whatever retries it)."""
    return uuid.uuid5(REFUND_NAMESPACE, f"{tenant_id}:{key}")


@within_tenant
async def refund_booking(
    tenant: Tenant,
    tenant_id: str,
    booking_id: Any,
    amount_fen: int,
    *,
    key: str,
    reason: str,
    now: datetime,
    methods: dict[str, PaymentProvider] | None = None,
    staff_id: str = "",
    cumulative: bool = False,
) -> dict[str, Any]:
    """Refund ``amount_fen`` of the booking's captured payment to its original method, once
    per ``key`` (after-sales: a complaint's refund; a retry returns the first refund). With
    ``cumulative``, ``amount_fen`` is the total to have refunded under ``reason``: only the
    difference to the refunds already made (not failed) with that reason is refunded (a
    complaint reopened and granted more). No
    request needed: the tenant's methods come from the process's runtime, gateway URLs from
    the tenant's own host. Returns the refund row: ``succeeded``, ``failed`` (the gateway
    refused) or ``pending`` (it did not answer; the worker asks again).

    LookupError: no such booking. PaymentError: a bad amount (400); nothing captured yet
    (``booking``, 409); more than is left to refund (``amountFen``, 409)."""
    from core.payments.gateways import methods_for, tenant_base_url

    amount = _amount(amount_fen)
    booking = await load_booking(tenant_id, booking_id)
    refund_id = refund_id_for(tenant_id, key)
    known = await _refund_row(tenant_id, refund_id)
    if known is not None:
        return known
    payment = await (
        scoped(Payment, tenant_id)
        .select(Payment.id)
        .where((Payment.booking == booking["id"]) & (Payment.status == "captured"))
        .first()
    )
    if payment is None:
        raise PaymentError("booking", "nothing of this booking has been paid yet", 409)
    if cumulative:
        earlier = await (
            scoped(Refund, tenant_id)
            .select()
            .where((Refund.payment == payment["id"]) & (Refund.reason == reason[:200]))
            .where(Refund.status != "failed")
            .order_by(Refund.created_at)
        )
        amount -= sum(int(r["amount_fen"]) for r in earlier)
        if amount <= 0 and earlier:
            return dict(earlier[-1])
        amount = _amount(amount)
    try:
        return await refund_payment(
            methods if methods is not None else methods_for(tenant),
            tenant,
            tenant_id,
            payment["id"],
            amount,
            reason=reason,
            staff_id=staff_id,
            base_url=tenant_base_url(tenant),
            now=now,
            refund_id=refund_id,
        )
    except PaymentError as exc:
        if exc.status_code != 502:
            raise
        row = await _refund_row(tenant_id, refund_id)  # pending: the worker asks again
        assert row is not None
        return row
    except Exception as exc:
        if not is_unique_or_exclusion_violation(exc):
            raise
        row = await _refund_row(tenant_id, refund_id)  # the same key, taken meanwhile
        assert row is not None
        return row


RETRY_AFTER = timedelta(minutes=2)
"""The worker asks again about a refund still pending after this long."""


@within_tenant
async def retry_pending_refunds(
    methods: dict[str, PaymentProvider],
    tenant: Tenant,
    tenant_id: str,
    *,
    base_url: str,
    now: datetime,
) -> dict[str, int]:
    """Ask the gateway again about each refund left pending (it did not answer): the same
    refund number, which the gateways refund once. Returns counts for the worker's report."""
    counts = {"refunds_retried": 0, "refunds_succeeded": 0, "refunds_failed": 0}
    rows = await (
        scoped(Refund, tenant_id)
        .select()
        .where((Refund.status == "pending") & (Refund.created_at < now - RETRY_AFTER))
        .order_by(Refund.created_at)
        .limit(200)
    )
    for refund in rows:
        payment = await load_payment(tenant_id, refund["payment"])
        provider = methods.get(payment["method"])
        if provider is None:
            continue  # a method no longer offered: staff settle it by hand
        counts["refunds_retried"] += 1
        refund_id = uuid.UUID(str(refund["id"]))
        try:
            await _complete(
                provider,
                tenant,
                tenant_id,
                payment,
                refund_id,
                int(refund["amount_fen"]),
                base_url,
                now,
            )
        except PaymentError:
            continue  # still no answer: next pass
        status = (await _refund_row(tenant_id, refund_id) or {}).get("status")
        if status == "succeeded":
            counts["refunds_succeeded"] += 1
        elif status == "failed":
            counts["refunds_failed"] += 1
    return counts
