"""Where payments meet the ledger: the postings a capture and a refund make, called inside the
payment's own write transaction (``core.ledger`` joins it), so the payment's move, its record
and the journal commit together. Event keys are per payment and per refund, so whatever path
a capture or refund takes (notification, the worker's query, a replay), it is posted once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.ledger.payment_postings import record_capture, record_refund
from core.payments.provider import PaymentProvider
from core.tenancy.model import Tenant


def capture_key(payment_id: Any) -> str:
    return f"payment:{payment_id}:capture"


def refund_key(refund_id: Any) -> str:
    return f"refund:{refund_id}"


def _method(provider: PaymentProvider) -> str:
    return provider.ledger_method or provider.identifier


async def capture(
    tenant: Tenant,
    tenant_id: str,
    payment: dict[str, Any],
    booking: dict[str, Any],
    provider: PaymentProvider,
    at: datetime,
) -> None:
    await record_capture(
        tenant,
        tenant_id,
        payment_id=payment["id"],
        booking_id=booking["id"],
        provider_id=booking["provider"],
        vertical=booking["vertical"],
        amount_fen=int(payment["amount_fen"]),
        method=_method(provider),
        at=at,
        event_key=capture_key(payment["id"]),
    )


async def refund(
    tenant: Tenant,
    tenant_id: str,
    payment: dict[str, Any],
    booking: dict[str, Any],
    provider: PaymentProvider,
    refund_id: Any,
    amount_fen: int,
    at: datetime,
) -> None:
    await record_refund(
        tenant,
        tenant_id,
        payment_id=payment["id"],
        booking_id=booking["id"],
        provider_id=booking["provider"],
        vertical=booking["vertical"],
        amount_fen=amount_fen,
        method=_method(provider),
        at=at,
        event_key=refund_key(refund_id),
    )
