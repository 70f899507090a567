"""Who may see a payment (the booking's customer and provider, staff) and what they see."""

from __future__ import annotations

from typing import Any

from core.accounts.schemas import CurrentUser
from core.booking.service import Actor
from core.booking.views import actor_in, actors_of
from core.payments.provider import Checkout
from core.payments.refunds import refunds_of
from core.payments.schemas import CheckoutOut, PaymentOut, RefundOut
from core.payments.service import load_booking, load_payment


async def payment_for(
    tenant_id: str, payment_id: Any, user: CurrentUser
) -> tuple[dict[str, Any], dict[str, Any], Actor]:
    """The payment, its booking and the caller's role in it; LookupError (a 404) for a payment
    that is not theirs to see, or another tenant's."""
    payment = await load_payment(tenant_id, payment_id)
    booking = await load_booking(tenant_id, payment["booking"])
    actor = actor_in(booking, await actors_of(user, tenant_id))
    return payment, booking, actor


async def payment_out(
    tenant_id: str, payment: dict[str, Any], checkout: Checkout | None = None
) -> PaymentOut:
    refunds = await refunds_of(tenant_id, payment["id"])
    return PaymentOut(
        id=str(payment["id"]),
        booking_id=str(payment["booking"]),
        method=payment["method"],
        status=payment["status"],
        amount_fen=int(payment["amount_fen"]),
        refunded_fen=int(payment["refunded_fen"]),
        currency=payment["currency"],
        created_at=payment["created_at"],
        captured_at=payment["captured_at"],
        refunds=[
            RefundOut(
                id=str(r["id"]),
                amount_fen=int(r["amount_fen"]),
                status=r["status"],
                created_at=r["created_at"],
            )
            for r in refunds
        ],
        checkout=None
        if checkout is None
        else CheckoutOut(
            redirect_url=checkout.redirect_url,
            qr_payload=checkout.qr_payload,
            instructions=checkout.instructions,
        ),
    )
