"""Money is integer minor units (fen) plus a currency, everywhere. Never float."""

from __future__ import annotations

import msgspec


class Money(msgspec.Struct, frozen=True):
    amount_fen: int
    """Amount in minor units (fen for CNY)."""
    currency: str = "CNY"

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount_fen + other.amount_fen, self.currency)
