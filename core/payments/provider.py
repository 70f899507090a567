"""The payment-provider shape (after pretix's ``BasePaymentProvider``).

A provider is constructed per tenant with its settings block from the tenant YAML (secrets
already read from the environment) and, for gateways reached over HTTP, an ``httpx``
transport. Each step says when core calls it; what happens around it (the payment's state,
the notification record, the ledger) belongs to ``core.payments.service``: a provider talks
to its gateway and checks what the gateway says, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.money import Money

if TYPE_CHECKING:
    import httpx

    from core.tenancy.model import Tenant

LocalizedText = dict[str, str]

TIMESTAMP_WINDOW_S = 300
"""A callback older (or newer) than this is refused: a replay of a captured old message."""


class GatewayError(Exception):
    """The gateway could not be reached or refused a request (a 502 for the caller)."""


class NotificationRejected(Exception):
    """A callback that is not provably from the gateway about an order of ours, or that does
    not match the order (amount, merchant, app). ``reason`` is safe to log: no personal data."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Order:
    """What the kit asks a gateway to collect."""

    payment_id: str
    out_trade_no: str
    """The merchant order number the gateway knows the payment by (32 characters)."""
    amount: Money
    description: str
    notify_url: str
    """Where the gateway posts its asynchronous notification (public, no CSRF)."""
    return_url: str
    """Where the customer's browser comes back to (the payment result page)."""


@dataclass(frozen=True)
class Checkout:
    """What the checkout page does next: send the browser to ``redirect_url``, show
    ``qr_payload`` as a QR code, or show ``instructions`` (cash)."""

    redirect_url: str = ""
    qr_payload: str = ""
    instructions: LocalizedText = field(default_factory=dict)
    gateway_ref: str = ""
    """The gateway's session or prepay id, when it gives one."""


@dataclass(frozen=True)
class GatewayEvent:
    """A verified, decoded notification (or query answer) about one of our orders."""

    event_key: str
    """Unique per gateway message: the same message replayed has the same key."""
    out_trade_no: str
    outcome: str
    """``captured``, ``closed`` (the order can no longer be paid), ``pending`` or ``other``
    (a message that changes nothing, e.g. a refund result already known)."""
    amount_fen: int = 0
    gateway_txn: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class RefundOutcome:
    accepted: bool
    gateway_ref: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Reply:
    """The HTTP answer a gateway expects to a notification."""

    status_code: int
    body: bytes = b""
    media_type: str = "text/plain"


class PaymentProvider:
    identifier: str = ""
    """Stable id the tenant YAML names under ``payments[].provider``."""
    label: LocalizedText = {}
    ledger_method: str = ""
    """How the ledger books money of this method (``gateway`` clearing or ``cash``); defaults
    to ``identifier``."""
    notification_path: str = ""
    """The path the gateway posts notifications to (``/payments/notify/<identifier>``), empty
    for methods without callbacks (cash)."""

    def __init__(
        self,
        tenant: Tenant,
        settings: dict[str, Any],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.tenant = tenant
        self.settings = settings
        self.transport = transport

    def is_allowed(self, amount: Money) -> bool:
        """Called when checkout lists methods; default: always."""
        return True

    def fee(self, amount: Money) -> Money:
        """Fee the customer pays on top; default: none."""
        return Money(0, amount.currency)

    async def create_payment(self, order: Order) -> Checkout:
        """Called at checkout, once per payment; returns what the page does next."""
        raise NotImplementedError

    async def handle_notification(
        self, headers: dict[str, str], body: bytes, now: datetime
    ) -> GatewayEvent:
        """Verify and decode a gateway callback (``headers`` with lower-case names). Raise
        ``NotificationRejected`` on any doubt. The amount and order checks against our own
        record are made by core, with ``check_order``."""
        raise NotImplementedError

    def check_order(self, event: GatewayEvent, amount_fen: int) -> None:
        """Refuse an event whose amount is not the order's (merchant and app are checked by
        ``handle_notification``, which knows where the gateway puts them)."""
        if event.outcome == "captured" and event.amount_fen != amount_fen:
            raise NotificationRejected(
                f"amount {event.amount_fen} differs from the order's {amount_fen}"
            )

    def reply(self, accepted: bool, message: str = "") -> Reply:
        """The answer the gateway expects; default: 204 or 400."""
        return Reply(204) if accepted else Reply(400, message.encode())

    async def query(self, order: Order) -> GatewayEvent | None:
        """Called by the worker for payments still pending: the gateway's word on the order,
        or None when it knows nothing new."""
        return None

    async def refund(
        self, order: Order, out_refund_no: str, amount: Money, captured: Money
    ) -> RefundOutcome:
        """Give ``amount`` of the captured ``captured`` back to the original method."""
        raise NotImplementedError

    def client(self, base_url: str) -> httpx.AsyncClient:
        """An HTTP client for the gateway (the stand-in's in-process transport in the demo)."""
        import httpx

        return httpx.AsyncClient(base_url=base_url, transport=self.transport, timeout=10.0)
