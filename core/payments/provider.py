"""The payment-provider shape (after pretix's ``BasePaymentProvider``).

A provider is constructed per tenant with its settings block from the tenant YAML. Each step
says when core calls it; the ledger work around it belongs to ``core.payments.service``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.money import Money

if TYPE_CHECKING:
    from core.tenancy.model import Tenant

LocalizedText = dict[str, str]


class PaymentProvider:
    identifier: str = ""
    """Stable id the tenant YAML names under ``payments[].provider``."""
    label: LocalizedText = {}

    def __init__(self, tenant: Tenant, settings: dict[str, Any]) -> None:
        self.tenant = tenant
        self.settings = settings

    def is_allowed(self, amount: Money) -> bool:
        """Called when checkout lists methods; default: always."""
        return True

    def fee(self, amount: Money) -> Money:
        """Fee the customer pays on top; default: none."""
        return Money(0, amount.currency)

    async def create_payment(self, payment_id: str, amount: Money) -> dict[str, Any]:
        """Called at checkout; returns what the page needs (a redirect URL, a QR payload)."""
        raise NotImplementedError

    async def handle_notification(self, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        """Verify and decode a gateway callback; raise on any doubt."""
        raise NotImplementedError

    async def query(self, payment_id: str) -> dict[str, Any]:
        raise NotImplementedError

    async def refund(self, payment_id: str, amount: Money) -> dict[str, Any]:
        raise NotImplementedError
