"""Invoice details (发票抬头 and 税号) a customer gives for a captured payment, and the invoice
PDF made from them. One set of details per payment; giving them again replaces them.

The title may be a person's own name (个人抬头): it is encrypted at rest and shown only to the
customer who gave it (the form and their PDF), never logged or put in a URL. A company's tax
id (统一社会信用代码) is not personal data and is stored as given, upper-cased.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from core.db import is_unique_or_exclusion_violation, write_transaction
from core.payments.service import PaymentError, load_payment
from core.payments.tables import Invoice
from core.privacy import service as privacy
from core.tenancy.scoped import scoped, within_tenant

KINDS = ("personal", "company")
TITLE_MAX = 100
TAX_ID = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
"""The 18-character unified social credit code (GB 32100-2015)."""
FIELD = "invoice.title"


def clean_details(kind: str, title: str, tax_id: str) -> tuple[str, str, str]:
    """The details as stored; PaymentError (400) naming ``kind``, ``title`` or ``taxId``."""
    kind = (kind or "").strip()
    if kind not in KINDS:
        raise PaymentError("kind", "choose personal or company")
    title = " ".join((title or "").split())
    if not title:
        raise PaymentError("title", "enter the invoice title")
    if len(title) > TITLE_MAX:
        raise PaymentError("title", f"at most {TITLE_MAX} characters")
    tax_id = (tax_id or "").strip().upper()
    if kind == "company":
        if not TAX_ID.match(tax_id):
            raise PaymentError("taxId", "enter the company's 18-character tax id")
    else:
        tax_id = ""
    return kind, title, tax_id


@within_tenant
async def save_invoice(
    tenant_id: str,
    payment_id: Any,
    customer_id: str,
    kind: str,
    title: str,
    tax_id: str,
    *,
    now: datetime,
) -> dict[str, Any]:
    """Record (or replace) the invoice details of the customer's captured payment.

    LookupError: not the customer's payment. PaymentError: bad details (400), a payment not
    captured (409)."""
    payment = await load_payment(tenant_id, payment_id)
    if str(payment["customer"]) != str(customer_id):
        raise LookupError(str(payment_id))
    if payment["status"] != "captured":
        raise PaymentError("status", "an invoice is made for a paid payment", 409)
    kind, title, tax_id = clean_details(kind, title, tax_id)
    sealed = privacy.seal(title, field=FIELD, tenant_id=tenant_id)
    values: dict[Any, Any] = {
        Invoice.kind: kind,
        Invoice.title_enc: sealed,
        Invoice.tax_id: tax_id,
        Invoice.updated_at: now,
    }
    invoices = scoped(Invoice, tenant_id)
    try:
        async with write_transaction():
            changed = await (
                invoices.update(values)
                .where(Invoice.payment == payment["id"])
                .returning(Invoice.id)
            )
            if not changed:
                await invoices.insert(
                    Invoice(
                        tenant=tenant_id,
                        id=uuid.uuid4(),
                        payment=payment["id"],
                        kind=kind,
                        title_enc=sealed,
                        tax_id=tax_id,
                        created_at=now,
                        updated_at=now,
                    )
                )
    except Exception as exc:
        if not is_unique_or_exclusion_violation(exc):
            raise
        async with write_transaction():  # given twice at once: the later details win
            await invoices.update(values).where(Invoice.payment == payment["id"])
    found = await invoice_of(tenant_id, payment["id"])
    assert found is not None
    return found


@within_tenant
async def invoice_of(tenant_id: str, payment_id: Any) -> dict[str, Any] | None:
    """The payment's invoice details with the clear title (for its customer only)."""
    row = await scoped(Invoice, tenant_id).select().where(Invoice.payment == payment_id).first()
    if row is None:
        return None
    details = dict(row)
    details["title"] = privacy.unseal(details.pop("title_enc"), field=FIELD, tenant_id=tenant_id)
    return details
