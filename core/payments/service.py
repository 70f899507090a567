"""Payments of bookings: checkout, gateway notifications taken exactly once, cash collected at
the door (the worker's look at payments still pending is ``jobs``).

Exactly once: a gateway message is recorded (``PaymentNotification``, unique per tenant and
event key) in the same write transaction that moves the payment and posts to the ledger. A
replay finds the record and changes nothing; two copies at once cannot both insert it (the
single writer on SQLite, the unique index on PostgreSQL). The payment moves to ``captured``
only from ``pending`` or ``closed`` (a conditional update), and the ledger posting is keyed by
the payment: two different messages about one capture (the notification and the worker's
query) still credit once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.columns.combination import WhereRaw

from core.accounts.service import security_event
from core.booking.service import Actor
from core.booking.states import PROVIDER, STAFF
from core.booking.tables import Booking
from core.db import is_unique_or_exclusion_violation, write_transaction
from core.money import Money
from core.payments import ledger_link
from core.payments.provider import (
    Checkout,
    GatewayError,
    GatewayEvent,
    NotificationRejected,
    Order,
    PaymentProvider,
)
from core.payments.tables import Payment, PaymentNotification
from core.tenancy.model import Tenant
from core.tenancy.scoped import scoped, within_tenant

log = logging.getLogger("doorstep.payments")

PAYABLE_STATES = frozenset(
    {"offered", "accepted", "en_route", "arrived", "in_progress", "completed", "closed"}
)
"""A booking can be paid once it has a provider, until it is closed (not when cancelled)."""


_NO_OTHER_ACTIVE = (
    "NOT EXISTS (SELECT 1 FROM payments_payment other WHERE other.tenant = payments_payment.tenant"
    " AND other.booking = payments_payment.booking AND other.id <> payments_payment.id"
    " AND other.status IN ('pending', 'captured'))"
)
"""A payment is captured only while no other payment of its booking is active."""


class PaymentError(Exception):
    """A refused request; ``field`` names what is wrong (400), or the state (409)."""

    def __init__(self, field: str, reason: str, status_code: int = 400) -> None:
        self.field = field
        self.reason = reason
        self.status_code = status_code
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True)
class Taken:
    """What a notification did: ``applied`` is ``captured``, ``closed`` or "" (nothing new);
    ``duplicate`` when the same message had been taken before."""

    payment_id: str
    applied: str
    duplicate: bool


def out_trade_no(payment_id: Any) -> str:
    return uuid.UUID(str(payment_id)).hex


def order_of(payment: dict[str, Any], description: str, base_url: str) -> Order:
    """The gateway's view of a payment; URLs on the tenant's own host (``base_url``)."""
    from core.payments.gateways import notify_path

    return Order(
        payment_id=str(payment["id"]),
        out_trade_no=payment["out_trade_no"],
        amount=Money(int(payment["amount_fen"]), payment["currency"]),
        description=description,
        notify_url=f"{base_url}{notify_path(payment['method'])}",
        return_url=f"{base_url}/pay/result/{payment['id']}",
    )


async def load_payment(tenant_id: str, payment_id: Any) -> dict[str, Any]:
    """The payment row; LookupError for an unknown (or another tenant's) id."""
    try:
        pid = uuid.UUID(str(payment_id))
    except ValueError:
        raise LookupError(str(payment_id)) from None
    row = await scoped(Payment, tenant_id).select().where(Payment.id == pid).first()
    if row is None:
        raise LookupError(str(payment_id))
    return dict(row)


async def load_booking(tenant_id: str, booking_id: Any) -> dict[str, Any]:
    try:
        bid = uuid.UUID(str(booking_id))
    except ValueError:
        raise LookupError(str(booking_id)) from None
    row = await scoped(Booking, tenant_id).select().where(Booking.id == bid).first()
    if row is None:
        raise LookupError(str(booking_id))
    return dict(row)


def _check_payable(booking: dict[str, Any]) -> None:
    if booking["status"] not in PAYABLE_STATES or booking["provider"] is None:
        raise PaymentError("status", f"a booking that is {booking['status']} cannot be paid", 409)
    if int(booking["total_fen"]) <= 0:
        raise PaymentError("status", "this booking has nothing to pay", 409)


async def is_paid(tenant_id: str, booking_id: Any) -> bool:
    """A captured payment covers the booking (a partial refund leaves it paid)."""
    rows = await (
        scoped(Payment, tenant_id)
        .select(Payment.amount_fen, Payment.refunded_fen)
        .where((Payment.booking == booking_id) & (Payment.status == "captured"))
    )
    return any(int(r["refunded_fen"]) < int(r["amount_fen"]) for r in rows)


async def payments_of_booking(tenant_id: str, booking_id: Any) -> list[dict[str, Any]]:
    rows = await (
        scoped(Payment, tenant_id)
        .select()
        .where(Payment.booking == booking_id)
        .order_by(Payment.created_at, ascending=False)
    )
    return [dict(r) for r in rows]


# --- checkout --------------------------------------------------------------------------------


@within_tenant
async def start_payment(
    methods: dict[str, PaymentProvider],
    tenant: Tenant,
    tenant_id: str,
    booking_id: Any,
    customer_id: str,
    method: str,
    *,
    description: str,
    base_url: str,
    now: datetime,
) -> tuple[dict[str, Any], Checkout]:
    """Start paying the customer's booking with ``method``: a pending payment (the one already
    started with this method, if any) and what the checkout page does next.

    LookupError: not the customer's booking. PaymentError: an unknown method (400), a booking
    that cannot or need not be paid (409), a gateway that failed (502)."""
    provider = methods.get(method)
    if provider is None:
        raise PaymentError("method", "choose one of the payment methods offered")
    booking = await load_booking(tenant_id, booking_id)
    if str(booking["customer"]) != str(customer_id):
        raise LookupError(str(booking_id))
    _check_payable(booking)
    amount = Money(int(booking["total_fen"]), booking["currency"])
    if not provider.is_allowed(amount):
        raise PaymentError("method", "this method cannot be used for this amount")
    total = amount + provider.fee(amount)
    try:
        async with write_transaction():
            existing = await _active_payment(tenant_id, booking["id"], method, total.amount_fen)
            if existing is None:
                pid = uuid.uuid4()
                row = Payment(
                    tenant=tenant_id,
                    id=pid,
                    booking=booking["id"],
                    customer=booking["customer"],
                    method=method,
                    amount_fen=total.amount_fen,
                    currency=total.currency,
                    out_trade_no=out_trade_no(pid),
                    created_at=now,
                    updated_at=now,
                )
                await scoped(Payment, tenant_id).insert(row)
                existing = await load_payment(tenant_id, pid)
    except Exception as exc:
        if is_unique_or_exclusion_violation(exc):
            # Another payment of this booking was started at the same moment (PostgreSQL's
            # partial unique index; SQLite's single writer never gets here).
            raise PaymentError(
                "payment", "another payment of this booking is under way", 409
            ) from None
        raise
    payment = dict(existing)
    try:
        checkout = await provider.create_payment(order_of(payment, description, base_url))
    except GatewayError as exc:
        log.warning("checkout failed on %s for tenant %s: %s", method, tenant.slug, exc)
        raise PaymentError("method", "the payment service did not answer; try again", 502) from None
    if checkout.gateway_ref:
        async with write_transaction():
            await (
                scoped(Payment, tenant_id)
                .update({Payment.gateway_ref: checkout.gateway_ref[:80]})
                .where(Payment.id == payment["id"])
            )
    return payment, checkout


ACTIVE = ("pending", "captured")
"""A booking has at most one payment in these states (the single write path checks it, a
partial unique index enforces it): two methods at once cannot both be credited."""


async def _active_payment(
    tenant_id: str, booking_id: Any, method: str, amount_fen: int
) -> dict[str, Any] | None:
    """The booking's pending payment to reuse (same method and amount), None to start one;
    PaymentError (409) when the booking is paid, or another payment of it is under way."""
    active = await (
        scoped(Payment, tenant_id)
        .select()
        .where((Payment.booking == booking_id) & Payment.status.is_in(list(ACTIVE)))
    )
    for row in active:
        if row["status"] == "captured":
            if int(row["refunded_fen"]) < int(row["amount_fen"]):
                raise PaymentError("status", "this booking is already paid", 409)
            raise PaymentError("status", "this booking was paid and refunded", 409)
        if row["method"] == method and int(row["amount_fen"]) == amount_fen:
            return dict(row)
        raise PaymentError(
            "payment", f"a payment by {row['method']} is under way: finish it first", 409
        )
    return None


# --- notifications ---------------------------------------------------------------------------


@within_tenant
async def take_notification(
    provider: PaymentProvider,
    tenant: Tenant,
    tenant_id: str,
    headers: dict[str, str],
    body: bytes,
    *,
    now: datetime,
    client: str = "",
) -> Taken:
    """Verify a gateway callback and apply it exactly once.

    NotificationRejected (nothing credited, a security event recorded): a signature, key,
    merchant, app, timestamp or amount that does not check out, or an order we do not have."""
    try:
        event = await provider.handle_notification(headers, body, now)
        payment = (
            await scoped(Payment, tenant_id)
            .select()
            .where(
                (Payment.out_trade_no == event.out_trade_no)
                & (Payment.method == provider.identifier)
            )
            .first()
        )
        if payment is None:
            raise NotificationRejected("unknown order")
        provider.check_order(event, int(payment["amount_fen"]))
    except NotificationRejected as exc:
        async with write_transaction():
            await security_event(
                tenant_id, "payment_notice_rejected", f"{provider.identifier}: {exc.reason}", client
            )
        raise
    return await apply_event(provider, tenant, tenant_id, dict(payment), event, now)


async def apply_event(
    provider: PaymentProvider,
    tenant: Tenant,
    tenant_id: str,
    payment: dict[str, Any],
    event: GatewayEvent,
    now: datetime,
) -> Taken:
    """Record ``event`` once and apply it: the record, the payment's move and the ledger
    posting commit together or not at all."""
    pid = str(payment["id"])
    try:
        async with write_transaction():
            seen = (
                await scoped(PaymentNotification, tenant_id)
                .exists()
                .where(PaymentNotification.event_key == event.event_key)
            )
            if seen:
                return Taken(pid, "", duplicate=True)
            applied = await _move(provider, tenant, tenant_id, payment, event, now)
            await scoped(PaymentNotification, tenant_id).insert(
                PaymentNotification(
                    tenant=tenant_id,
                    payment=payment["id"],
                    event_key=event.event_key[:120],
                    method=provider.identifier,
                    outcome=event.outcome,
                    applied=applied,
                    amount_fen=event.amount_fen,
                    received_at=now,
                )
            )
    except Exception as exc:
        if is_unique_or_exclusion_violation(exc):
            return Taken(pid, "", duplicate=True)  # the same message, taken meanwhile
        raise
    return Taken(pid, applied, duplicate=False)


async def _move(
    provider: PaymentProvider,
    tenant: Tenant,
    tenant_id: str,
    payment: dict[str, Any],
    event: GatewayEvent,
    now: datetime,
) -> str:
    payments = scoped(Payment, tenant_id)
    if event.outcome == "captured":
        at = event.at or now
        moved = await (
            payments.update(
                {
                    Payment.status: "captured",
                    Payment.captured_at: at,
                    Payment.gateway_txn: event.gateway_txn[:80],
                    Payment.updated_at: now,
                    Payment.version: Payment.version + 1,
                }
            )
            .where((Payment.id == payment["id"]) & Payment.status.is_in(["pending", "closed"]))
            .where(WhereRaw(_NO_OTHER_ACTIVE))
            .returning(Payment.id)
        )
        if not moved:
            if payment["status"] == "closed":
                # Paid at the gateway after it closed here, while another payment of the
                # booking is active: not credited twice. Reconciliation lists it (money at
                # the gateway the books lack) for staff to refund.
                log.warning("late capture of closed payment %s not credited", payment["id"])
            return ""
        booking = await load_booking(tenant_id, payment["booking"])
        await ledger_link.capture(tenant, tenant_id, payment, booking, provider, at)
        return "captured"
    if event.outcome == "closed":
        moved = await (
            payments.update(
                {
                    Payment.status: "closed",
                    Payment.updated_at: now,
                    Payment.version: Payment.version + 1,
                }
            )
            .where((Payment.id == payment["id"]) & (Payment.status == "pending"))
            .returning(Payment.id)
        )
        return "closed" if moved else ""
    return ""


# --- cash ------------------------------------------------------------------------------------


@within_tenant
async def confirm_cash(
    provider: PaymentProvider,
    tenant: Tenant,
    tenant_id: str,
    payment_id: Any,
    actor: Actor,
    *,
    now: datetime,
) -> Taken:
    """The booking's provider (or staff) confirms the cash was collected: captured once."""
    payment = await load_payment(tenant_id, payment_id)
    booking = await load_booking(tenant_id, payment["booking"])
    own_job = actor.role == PROVIDER and str(booking["provider"]) == str(actor.provider_id)
    if not (own_job or actor.role == STAFF):
        raise LookupError(str(payment_id))
    if payment["method"] != "cash":
        raise PaymentError("method", "only a cash payment is confirmed by hand", 409)
    if payment["status"] not in {"pending", "captured"}:
        raise PaymentError("status", f"a {payment['status']} payment cannot be confirmed", 409)
    event = GatewayEvent(
        event_key=f"cash:{payment['id']}",
        out_trade_no=payment["out_trade_no"],
        outcome="captured",
        amount_fen=int(payment["amount_fen"]),
        gateway_txn=f"cash-{actor.role}",
        at=now,
    )
    return await apply_event(provider, tenant, tenant_id, payment, event, now)
