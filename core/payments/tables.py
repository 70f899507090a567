"""Payments of bookings, the gateway notifications they received, and refunds.

Money is integer fen. A payment is ``pending`` until its gateway (or, for cash, its provider)
says it was paid: then ``captured`` (``refunded_fen`` grows with each accepted refund, never
past ``amount_fen``), or ``closed`` when it can no longer be paid. No card data and no payer
identity is stored: only the gateway's transaction reference.
"""

from __future__ import annotations

import uuid

from piccolo.columns import UUID, BigInt, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.accounts.tables import User
from core.booking.tables import Booking
from core.privacy.service import register_sealed
from core.tenancy.tables import TenantRow


class Payment(Table, tablename="payments_payment"):
    """At most one payment of a booking is ``pending`` or ``captured`` at a time (a partial
    unique index): paying twice by two methods at once is refused, not credited twice."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    booking = ForeignKey(references=Booking, null=False, index=True)
    customer = ForeignKey(references=User, null=False, index=True)
    method = Varchar(length=40)
    """The payment provider's identifier (``wechat_pay``, ``alipay``, ``card``, ``cash``)."""
    status = Varchar(length=16, default="pending", index=True)
    amount_fen = BigInt()
    currency = Varchar(length=3, default="CNY")
    refunded_fen = BigInt(default=0)
    out_trade_no = Varchar(length=32, index=True)
    """The order number the gateway knows: the payment id without dashes (unique per tenant)."""
    gateway_ref = Varchar(length=80, default="")
    """The gateway's session or prepay id, from checkout."""
    gateway_txn = Varchar(length=80, default="")
    """The gateway's transaction id, from the capture."""
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    captured_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class PaymentNotification(Table, tablename="payments_notification"):
    """Each gateway message taken, once: ``(tenant, event_key)`` is unique, and the row is
    written in the transaction that applies the message."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    payment = ForeignKey(references=Payment, null=False, index=True)
    event_key = Varchar(length=120)
    method = Varchar(length=40)
    outcome = Varchar(length=16)
    """What the message said: ``captured``, ``closed``, ``pending``, ``other``."""
    applied = Varchar(length=16, default="")
    """What it changed: ``captured``, ``closed`` or empty (nothing, e.g. already captured)."""
    amount_fen = BigInt(default=0)
    received_at = Timestamptz(default=TimestamptzNow())


class Refund(Table, tablename="payments_refund"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    payment = ForeignKey(references=Payment, null=False, index=True)
    amount_fen = BigInt()
    status = Varchar(length=16, default="pending")
    """``pending`` while the gateway is asked, then ``succeeded`` or ``failed``."""
    out_refund_no = Varchar(length=32)
    reason = Varchar(length=200, default="")
    requested_by = UUID(null=True, default=None)
    gateway_ref = Varchar(length=80, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    completed_at = Timestamptz(null=True, default=None)


class Invoice(Table, tablename="payments_invoice"):
    """The customer's invoice details (发票抬头 and 税号) for one captured payment; asked
    again, the details are replaced. The title may be a person's name: encrypted at rest."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    tenant = ForeignKey(references=TenantRow, null=False, index=True)
    payment = ForeignKey(references=Payment, null=False, index=True)
    kind = Varchar(length=12, default="personal")
    """``personal`` (个人) or ``company`` (单位, with a tax id)."""
    title_enc = Text()
    tax_id = Varchar(length=20, default="")
    """统一社会信用代码 (18 characters) of a company; empty for a person."""
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


register_sealed(Invoice, "title_enc", "invoice.title")
