"""Cash (or any offline payment) collected by the provider at the door.

Nothing is sent anywhere: checkout shows what to pay, and the provider (or staff) confirms the
cash was collected. The ledger books it as cash the provider holds and owes the platform
(method ``cash``), so settlement nets it against what the platform owes the provider.
"""

from __future__ import annotations

from core.money import Money
from core.payments.provider import Checkout, Order, PaymentProvider, RefundOutcome


class Cash(PaymentProvider):
    identifier = "cash"
    label = {"zh_CN": "现金（上门时付给服务者）", "en": "Cash to your provider"}
    ledger_method = "cash"

    async def create_payment(self, order: Order) -> Checkout:
        return Checkout(
            instructions={
                "zh_CN": "请在服务时将现金交给服务者，服务者确认收款后订单即为已付款。",
                "en": "Pay your provider in cash at the visit; the booking shows as paid once "
                "they confirm it.",
            }
        )

    async def refund(
        self, order: Order, out_refund_no: str, amount: Money, captured: Money
    ) -> RefundOutcome:
        # Paid back in cash by staff; the ledger records it against the platform's cash.
        return RefundOutcome(accepted=True, detail="cash")
