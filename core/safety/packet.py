"""The hand-off packet for the police: one PDF with the facts, both parties, the positions and
the timeline (the evidence log, with its chain check). Chinese text needs a CJK font:
Debian's ``fonts-noto-cjk`` (``NotoSansCJK-Regular.ttc``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF

from core.safety.evidence import ChainCheck, Entry

FONT_DIRS = (
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/noto-cjk"),
    Path("/usr/share/fonts/google-noto-cjk"),
)
FONT_FILE = "NotoSansCJK-Regular.ttc"
SC_INDEX = 2
"""The Simplified Chinese face inside the collection (JP, KR, SC, TC, HK)."""


class FontMissing(RuntimeError):
    pass


def cjk_font() -> Path:
    for folder in FONT_DIRS:
        if (folder / FONT_FILE).is_file():
            return folder / FONT_FILE
    raise FontMissing(f"{FONT_FILE} not found: install fonts-noto-cjk")


def _when(moment: datetime | str | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "-"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def _point(found: dict[str, Any] | None) -> str:
    if not found:
        return "-"
    return f"{float(found['lat']):.6f}, {float(found['lng']):.6f}"


def build_packet(
    *,
    brand: str,
    timezone: str,
    incident: dict[str, Any],
    booking: dict[str, Any] | None,
    address: str,
    parties: dict[str, Any],
    snapshot: dict[str, Any],
    entries: list[Entry],
    chain: ChainCheck,
    exported_by: str,
    now: datetime,
) -> bytes:
    zone = ZoneInfo(timezone)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("cjk", "", str(cjk_font()), collection_font_number=SC_INDEX)
    pdf.set_font("cjk", size=10)
    pdf.add_page()
    width = pdf.epw

    def heading(text: str) -> None:
        pdf.ln(3)
        pdf.set_font("cjk", size=13)
        pdf.multi_cell(width, 7, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=10)

    def line(label: str, value: str) -> None:
        pdf.multi_cell(width, 5.5, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")

    pdf.set_font("cjk", size=16)
    pdf.multi_cell(
        width,
        9,
        f"{brand} 安全事件移交材料 / Safety incident hand-off",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("cjk", size=10)
    line("事件编号 Incident", str(incident["id"]))
    line("导出时间 Exported", f"{_when(now, zone)} ({exported_by})")
    line("法律依据 Basis", "《个人信息保护法》第十三条第一款第（四）项 / PIPL art. 13(1)(4)")

    heading("事实 Facts")
    line("类型 Kind", f"{incident['kind']} · {incident['severity']}")
    line("状态 Status", incident["status"])
    line("发起人 Raised by", incident["raised_role"] or "-")
    line("发起时间 Raised at", _when(incident["created_at"], zone))
    line("确认时间 Acknowledged", _when(incident["acknowledged_at"], zone))
    line("解决时间 Resolved", _when(incident["resolved_at"], zone))
    line("升级层级 Escalation level", str(incident["escalation_level"]))
    if booking is not None:
        line("订单 Job", str(booking["id"]))
        line(
            "服务时间 Planned",
            f"{_when(booking['starts_at'], zone)} – {_when(booking['ends_at'], zone)}",
        )
        line("服务地址 Address", address or booking["district"])
        line("订单状态 Job status then", str(snapshot.get("booking_status", "-")))

    heading("当事人 Parties")
    for role, label in (("customer", "客户 Customer"), ("provider", "服务者 Provider")):
        person = parties.get(role)
        line(label, f"{person['name'] or '-'} · {person['phone'] or '-'}" if person else "-")

    heading("位置 Positions (WGS-84)")
    line("服务地址 Address point", _point(snapshot.get("address_point")))
    line("发起人位置 Raiser's position", _point(snapshot.get("raiser_position")))
    last = snapshot.get("provider_last")
    line(
        "服务者最后位置 Provider's last",
        f"{_point(last)} @ {_when(last['at'], zone) if last else '-'}",
    )
    for fix in snapshot.get("trail", [])[-40:]:
        pdf.multi_cell(
            width, 5, f"  {_when(fix['at'], zone)}  {_point(fix)}", new_x="LMARGIN", new_y="NEXT"
        )

    heading("时间线 Timeline (evidence log)")
    state = "完整 intact" if chain.intact else f"已被篡改 TAMPERED at entry {chain.broken_at}"
    line("哈希链 Hash chain", f"{state}, {chain.entries} entries")
    for entry in entries:
        details = ", ".join(f"{k}={v}" for k, v in entry.body.items() if v not in (None, "", []))
        pdf.multi_cell(
            width,
            5,
            f"#{entry.seq} {_when(entry.at, zone)} {entry.kind}: {details}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(120)
        pdf.multi_cell(width, 4, f"    sha256 {entry.hash}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0)
    return bytes(pdf.output())
