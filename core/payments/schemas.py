"""What the payments API sends and receives (camelCase on the wire). Money in integer fen."""

from __future__ import annotations

from datetime import datetime

from core.catalog.schemas_api import Api


class CreatePaymentIn(Api, forbid_unknown_fields=True):
    method: str
    """A method the tenant offers: ``wechat_pay``, ``alipay``, ``card``, ``cash``..."""


class RefundIn(Api, forbid_unknown_fields=True):
    amount_fen: int | None = None
    """Fen to give back; left out: everything not refunded yet."""
    reason: str = ""


class RefundOut(Api):
    id: str
    amount_fen: int
    status: str
    """``pending``, ``succeeded`` or ``failed``."""
    created_at: datetime


class CheckoutOut(Api):
    redirect_url: str = ""
    """Send the customer's browser here (the gateway's page)."""
    qr_payload: str = ""
    """Or show this as a QR code (WeChat Pay Native)."""
    instructions: dict[str, str] = {}


class PaymentOut(Api):
    id: str
    booking_id: str
    method: str
    status: str
    """``pending``, ``captured`` or ``closed``."""
    amount_fen: int
    refunded_fen: int
    currency: str
    created_at: datetime
    captured_at: datetime | None = None
    refunds: list[RefundOut] = []
    checkout: CheckoutOut | None = None
