"""Money and time formatted at the edge, in the tenant's locale and time zone."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency


def format_money(amount_fen: int, currency: str, locale: str) -> str:
    """``12345`` fen -> ``¥123.45`` (zh_CN) or ``CN¥123.45`` (en). Never via float."""
    return format_currency(Decimal(amount_fen) / 100, currency, locale=locale)


def format_when(moment: datetime, timezone: str, locale: str, fmt: str = "medium") -> str:
    """An aware UTC time shown in the tenant's time zone."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: store and pass aware UTC times")
    return format_datetime(moment, format=fmt, tzinfo=ZoneInfo(timezone), locale=locale)
