"""Money remedies of a complaint and rewards: compensation from the provider's deposit and the
excellent providers' bonus through the ledger (``core.ledger.service``, event keys make every
post happen once), and the refund to the original payment method (``core.payments``).

The refund waits (``awaiting_payments``) until the payments domain offers a refund by booking:
today's ``refund_payment`` needs the request's payment methods and base URL. The worker's
``settle_awaiting`` posts what waits once it can: nothing granted is lost."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from core.money import Money

AWAITING_LEDGER = "awaiting_ledger"
AWAITING_PAYMENTS = "awaiting_payments"
DONE = "done"
LEDGER_REFUSED = "ledger_refused"


def _function(module: str, name: str) -> Callable[..., Any] | None:
    try:
        found = importlib.import_module(module)
    except ImportError:
        return None
    function = getattr(found, name, None)
    return function if callable(function) else None


async def _call(function: Callable[..., Any], **values: Any) -> Any:
    """Call with the keyword arguments the function takes (the services are still settling
    their signatures); a missing required argument raises TypeError like any wrong call."""
    accepted = inspect.signature(function).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
    given = {k: v for k, v in values.items() if takes_any or k in accepted}
    result = function(**given)
    return await result if inspect.isawaitable(result) else result


async def refund(
    tenant: Any, tenant_id: str, booking_id: str, amount_fen: int, currency: str, key: str
) -> str:
    """Refund ``amount_fen`` of the booking's payment to its original method."""
    function = _function("core.payments.service", "refund_booking") or _function(
        "core.payments.service", "refund"
    )
    if function is None:
        return AWAITING_PAYMENTS
    await _call(
        function,
        tenant=tenant,
        tenant_id=tenant_id,
        booking_id=booking_id,
        amount=Money(amount_fen, currency),
        amount_fen=amount_fen,
        reason="complaint",
        key=key,
        event_key=key,
        idempotency_key=key,
    )
    return DONE


async def compensate(
    tenant: Any,
    tenant_id: str,
    provider_id: str,
    booking_id: str,
    amount_fen: int,
    currency: str,
    key: str,
    now: datetime | None = None,
) -> str:
    """Compensation to the customer taken from the provider's deposit (the ledger's
    ``compensate_from_deposit``). A deposit too small, or another refusal of the ledger, is
    ``ledger_refused``: staff see it on the complaint, nothing is retried blindly."""
    from core.ledger.chart import LedgerError
    from core.ledger.service import compensate_from_deposit

    try:
        await compensate_from_deposit(
            tenant,
            tenant_id,
            provider_id=provider_id,
            booking_id=booking_id,
            amount_fen=amount_fen,
            reason="complaint compensation",
            at=now or datetime.now(UTC),
            event_key=key,
        )
    except LedgerError:
        return LEDGER_REFUSED
    return DONE


async def bonus(
    tenant: Any,
    tenant_id: str,
    provider_id: str,
    amount_fen: int,
    currency: str,
    key: str,
    now: datetime | None = None,
) -> str:
    """A reward bonus for the provider (the ledger's ``post_bonus``; the key posts it once)."""
    from core.ledger.chart import LedgerError
    from core.ledger.service import post_bonus

    try:
        await post_bonus(
            tenant,
            tenant_id,
            provider_id=provider_id,
            amount_fen=amount_fen,
            reason="excellent provider bonus",
            at=now or datetime.now(UTC),
            event_key=key,
        )
    except LedgerError:
        return LEDGER_REFUSED
    return DONE
