"""A provider statement as CSV and as PDF (Chinese and English headings; Noto Sans CJK)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

from fpdf import FPDF

from core.ledger.statements import PlatformStatement, ProviderStatement
from core.safety.packet import SC_INDEX, cjk_font

COLUMNS = ("booking", "date", "gross", "commission", "fees", "adjustments", "net")
HEADINGS = {
    "booking": "订单 Booking",
    "date": "日期 Date",
    "gross": "金额 Gross",
    "commission": "佣金 Commission",
    "fees": "手续费 Fees",
    "adjustments": "调整 Adjustments",
    "net": "净收入 Net",
}


def yuan(fen: int) -> str:
    """``12345`` -> ``123.45`` (exact, no float)."""
    return f"{Decimal(fen) / 100:.2f}"


def _rows(statement: ProviderStatement | PlatformStatement, timezone: str) -> list[list[str]]:
    zone = ZoneInfo(timezone)
    rows = []
    for line in statement.lines:
        rows.append(
            [
                line.booking_id or "-",
                line.first_at.astimezone(zone).date().isoformat(),
                yuan(line.gross),
                yuan(line.commission),
                yuan(line.fees),
                yuan(line.adjustments),
                yuan(line.net),
            ]
        )
    totals = statement.totals
    rows.append(
        [
            "total",
            "",
            yuan(totals.gross),
            yuan(totals.commission),
            yuan(totals.fees),
            yuan(totals.adjustments),
            yuan(totals.net),
        ]
    )
    return rows


def statement_csv(statement: ProviderStatement | PlatformStatement, timezone: str) -> str:
    """One row per booking and a total row; amounts in yuan with two decimals (a provider's
    statement, or the platform's with every provider's bookings)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(_rows(statement, timezone))
    return out.getvalue()


def statement_pdf(
    statement: ProviderStatement, *, brand: str, provider_name: str, timezone: str, currency: str
) -> bytes:
    zone = ZoneInfo(timezone)
    pdf = FPDF(format="A4", orientation="landscape")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("cjk", "", str(cjk_font()), collection_font_number=SC_INDEX)
    pdf.add_page()
    pdf.set_font("cjk", size=15)
    pdf.multi_cell(pdf.epw, 9, f"{brand} 结算对账单 / Statement", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    first = statement.start.astimezone(zone).date().isoformat()
    last = statement.end.astimezone(zone).date().isoformat()
    for text in (
        f"服务者 Provider: {provider_name}",
        f"期间 Period: {first} – {last} (不含 end exclusive) · {currency}",
    ):
        pdf.multi_cell(pdf.epw, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    widths = (92, 26, 26, 30, 26, 32, 30)
    pdf.set_font("cjk", size=9)
    for width, column in zip(widths, COLUMNS, strict=True):
        pdf.cell(width, 7, HEADINGS[column], border=1)
    pdf.ln()
    for row in _rows(statement, timezone):
        for n, (width, value) in enumerate(zip(widths, row, strict=True)):
            text = "合计 Total" if value == "total" and n == 0 else value
            pdf.cell(width, 6, text, border=1, align="L" if n < 2 else "R")
        pdf.ln()
    pdf.ln(4)
    pdf.set_font("cjk", size=10)
    for label, fen in (
        ("已付款 Paid out in the period", statement.paid_out),
        ("期末应付 Payable at the end", statement.payable_at_end),
        ("欠平台 Owed to the platform", statement.owed_at_end),
        ("保证金 Deposit held", statement.deposit_at_end),
    ):
        pdf.multi_cell(pdf.epw, 6, f"{label}: {yuan(fen)}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
