"""Reconciliation: what the gateways say against what the books say, every difference listed.

The gateways' side is either their records as the kit keeps them (each captured payment with
its gateway transaction; each refund the gateway accepted; a capture that arrived for a
payment already closed while another payment of the booking was active, which the kit did
not credit), or a statement file downloaded from the gateway. The books' side and the
matching are ``core.ledger.reconcile``. Cash never passes a gateway and is left out.

A statement file is CSV with a header: ``out_trade_no,kind,amount_fen`` (``kind`` is
``capture`` or ``refund``; more columns are ignored). A row for an order number the kit does
not know is listed as money at the gateway the books lack.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.ledger.reconcile import KINDS, Difference, reconcile
from core.payments.tables import Payment, PaymentNotification, Refund
from core.tenancy.scoped import scoped, within_tenant

OFFLINE = frozenset({"cash"})
MAX_DAYS = 366
STATEMENT_COLUMNS = ("out_trade_no", "kind", "amount_fen")


class ReconcileInputError(ValueError):
    """Bad input, naming the field (``from``, ``to``, ``statement``)."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True)
class Line:
    """One difference, with what the kit knows about the payment."""

    difference: Difference
    method: str = ""
    booking_id: str = ""
    out_trade_no: str = ""


@dataclass
class Report:
    first: date
    last: date
    source: str
    """``records`` (the kit's gateway records) or ``statement`` (a file)."""
    matched: int = 0
    gateway_total: int = 0
    ledger_total: int = 0
    lines: list[Line] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "source": self.source,
            "matched": self.matched,
            "gateway_total_fen": self.gateway_total,
            "ledger_total_fen": self.ledger_total,
            "clean": self.clean,
            "differences": [
                {
                    "payment_id": line.difference.reference,
                    "kind": line.difference.kind,
                    "problem": line.difference.problem,
                    "gateway_fen": line.difference.gateway_fen,
                    "ledger_fen": line.difference.ledger_fen,
                    "gap_fen": line.difference.gap_fen,
                    "method": line.method,
                    "booking_id": line.booking_id,
                    "out_trade_no": line.out_trade_no,
                }
                for line in self.lines
            ],
        }


def period(first: str, last: str, timezone: str) -> tuple[date, date, datetime, datetime]:
    """``first`` to ``last`` (inclusive ``YYYY-MM-DD`` days in the tenant's time zone) and
    the aware bounds ``[start, end)``; ReconcileInputError naming ``from`` or ``to``."""
    days = []
    for name, value in (("from", first), ("to", last)):
        try:
            days.append(date.fromisoformat(value))
        except (TypeError, ValueError):
            raise ReconcileInputError(name, f"{value!r} is not a date (YYYY-MM-DD)") from None
    if days[1] < days[0]:
        raise ReconcileInputError("to", "is before from")
    if (days[1] - days[0]).days >= MAX_DAYS:
        raise ReconcileInputError("to", f"at most {MAX_DAYS} days at once")
    zone = ZoneInfo(timezone)
    start = datetime.combine(days[0], time.min, tzinfo=zone)
    end = datetime.combine(days[1] + timedelta(days=1), time.min, tzinfo=zone)
    return days[0], days[1], start, end


def parse_statement(text: str) -> list[tuple[str, int, str]]:
    """(out_trade_no, amount_fen, kind) rows of a statement file; ReconcileInputError
    naming the line and column of the first bad value."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in STATEMENT_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ReconcileInputError(
            "statement", f"the header needs {', '.join(STATEMENT_COLUMNS)} (missing {missing[0]})"
        )
    rows = []
    for number, row in enumerate(reader, start=2):
        no, kind, amount = (str(row[c] or "").strip() for c in STATEMENT_COLUMNS)
        if not no:
            raise ReconcileInputError("statement", f"line {number}: out_trade_no is empty")
        if kind not in KINDS:
            raise ReconcileInputError(
                "statement", f"line {number}: kind {kind!r} is not capture or refund"
            )
        if not amount.isdigit():
            raise ReconcileInputError(
                "statement", f"line {number}: amount_fen {amount!r} is not a whole number of fen"
            )
        rows.append((no, int(amount), kind))
    return rows


@within_tenant
async def gateway_records(
    tenant_id: str, start: datetime, end: datetime
) -> list[tuple[str, int, str]]:
    """(payment id, fen, kind) of the gateways' money in ``[start, end)`` as the kit knows it."""
    records: list[tuple[str, int, str]] = []
    captured = await (
        scoped(Payment, tenant_id)
        .select(Payment.id, Payment.amount_fen, Payment.method)
        .where((Payment.status == "captured") & (Payment.captured_at >= start))
        .where(Payment.captured_at < end)
    )
    records += [
        (str(p["id"]), int(p["amount_fen"]), "capture")
        for p in captured
        if p["method"] not in OFFLINE
    ]
    late = await (
        scoped(PaymentNotification, tenant_id)
        .select(
            PaymentNotification.payment,
            PaymentNotification.amount_fen,
            PaymentNotification.method,
            PaymentNotification.payment.status.as_alias("payment_status"),
        )
        .where((PaymentNotification.outcome == "captured") & (PaymentNotification.applied == ""))
        .where((PaymentNotification.received_at >= start) & (PaymentNotification.received_at < end))
    )
    uncredited = {
        str(n["payment"]): int(n["amount_fen"])
        for n in late
        if n["payment_status"] != "captured" and n["method"] not in OFFLINE
    }
    records += [(pid, fen, "capture") for pid, fen in uncredited.items()]
    refunds = await (
        scoped(Refund, tenant_id)
        .select(Refund.payment, Refund.amount_fen, Refund.payment.method.as_alias("method"))
        .where((Refund.status == "succeeded") & (Refund.completed_at >= start))
        .where(Refund.completed_at < end)
    )
    records += [
        (str(r["payment"]), int(r["amount_fen"]), "refund")
        for r in refunds
        if r["method"] not in OFFLINE
    ]
    return records


async def _payments(tenant_id: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    valid = []
    for value in ids:
        try:
            valid.append(uuid.UUID(value))
        except ValueError:
            continue
    if not valid:
        return {}
    rows = await (
        scoped(Payment, tenant_id)
        .select(Payment.id, Payment.method, Payment.booking, Payment.out_trade_no)
        .where(Payment.id.is_in(valid))
    )
    return {str(r["id"]): dict(r) for r in rows}


@within_tenant
async def reconcile_period(
    tenant_id: str,
    first: date,
    last: date,
    start: datetime,
    end: datetime,
    statement: list[tuple[str, int, str]] | None = None,
) -> Report:
    """The report for ``[start, end)``: the kit's gateway records (or ``statement``, rows of
    order numbers) against the ledger."""
    if statement is None:
        records = await gateway_records(tenant_id, start, end)
        source = "records"
    else:
        known = {
            r["out_trade_no"]: str(r["id"])
            for r in await scoped(Payment, tenant_id)
            .select(Payment.id, Payment.out_trade_no)
            .where(Payment.out_trade_no.is_in(list({no for no, _, _ in statement}) or [""]))
        }
        records = [(known.get(no, no), fen, kind) for no, fen, kind in statement]
        source = "statement"
    result = await reconcile(tenant_id, records, start, end)
    payments = await _payments(tenant_id, [d.reference for d in result.differences])
    report = Report(
        first,
        last,
        source,
        matched=result.matched,
        gateway_total=result.gateway_total,
        ledger_total=result.ledger_total,
    )
    for difference in result.differences:
        payment = payments.get(difference.reference, {})
        report.lines.append(
            Line(
                difference,
                method=str(payment.get("method", "")),
                booking_id=str(payment.get("booking") or ""),
                out_trade_no=str(payment.get("out_trade_no", difference.reference)),
            )
        )
    return report
