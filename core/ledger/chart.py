"""The chart of accounts and the one rounding rule.

Every tenant keeps its own books (each row carries its ``tenant``). An account is a name, or a
name and a party after a colon (``provider_payable:<provider id>``). Entries are signed integer
fen: **positive = debit, negative = credit**; a journal's entries sum to zero. A balance is
derived by summing entries, never stored. ``natural_balance`` shows it on the account's normal
side (a provider's payable of 82.00 yuan reads 8200, not -8200).

Assets (debit-normal: what others hold for, or owe to, the platform)
    ``gateway_clearing:<method>``  money a gateway (``wechat``, ``alipay``, ``card``...) has
        collected for the platform and not yet swept to its bank. Debited by captures and
        deposits paid online, credited by refunds to that method and by gateway fees.
    ``cash_owed:<provider>``       cash a provider collected from a customer (method
        ``cash``) and owes the platform. Netted against the provider's payable at settlement.
    ``provider_receivable:<provider>``  what a provider owes the platform beyond their
        earnings (a refund or penalty after the money was paid out). Netted at settlement.
    ``payouts``                    the platform's payout account: credited with every transfer
        to a provider (its balance is minus what has been paid out).

Liabilities (credit-normal: what the platform owes)
    ``provider_payable:<provider>``  a provider's earnings not yet paid out: credited with the
        provider's share of a capture and with bonuses; debited by refunds, fees, penalties,
        netting and payouts. Never below zero (a shortfall goes to ``provider_receivable``).
    ``provider_deposit:<provider>``  the provider's security deposit (保证金); debited only to
        compensate a customer (after-sales) or to return it. Never below zero.
    ``refunds``                    compensation owed to customers (from a provider's deposit)
        and not yet paid back; debited when it is paid.

Income and expense (the platform's result)
    ``platform_commission``        commission on captures (credit), given back pro rata by
        refunds (debit). Per tenant and vertical from the tenant YAML (``commission``).
    ``penalties``                  penalties charged to providers (credit).
    ``bonuses``                    bonuses granted to providers (debit).

Customer payments are the ``capture`` journals themselves (the platform holds no customer
balances: no wallets), refunds the ``refund`` journals; the reports read them by kind.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import NamedTuple

ASSET = "asset"
LIABILITY = "liability"
INCOME = "income"
EXPENSE = "expense"

CHART: dict[str, tuple[str, str | None]] = {
    # name: (type, party: None | "method" | "provider")
    "gateway_clearing": (ASSET, "method"),
    "cash_owed": (ASSET, "provider"),
    "provider_receivable": (ASSET, "provider"),
    "payouts": (ASSET, None),
    "provider_payable": (LIABILITY, "provider"),
    "provider_deposit": (LIABILITY, "provider"),
    "refunds": (LIABILITY, None),
    "platform_commission": (INCOME, None),
    "penalties": (INCOME, None),
    "bonuses": (EXPENSE, None),
}
"""Every account name the ledger accepts, its type and the party it needs."""

CREDIT_NORMAL = frozenset({LIABILITY, INCOME})
_METHOD = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


class LedgerError(ValueError):
    """A posting the ledger refuses; ``field`` names the offending input. A 4xx."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class LedgerLine(NamedTuple):
    account: str
    amount_fen: int
    """Positive = debit, negative = credit."""


def account(name: str, party: object = None) -> str:
    """The full account name, checked against the chart: ``account("provider_payable", pid)``."""
    full = name if party is None else f"{name}:{party}"
    check_account(full)
    return full


def check_account(full: str) -> None:
    name, _, party = full.partition(":")
    if name not in CHART:
        raise LedgerError("account", f"{full!r} is not in the chart of accounts")
    wanted = CHART[name][1]
    if wanted is None:
        if party:
            raise LedgerError("account", f"{name} takes no party")
        return
    if not party:
        raise LedgerError("account", f"{name} needs a {wanted} (e.g. {name}:<{wanted}>)")
    if wanted == "provider":
        try:
            uuid.UUID(party)
        except ValueError:
            raise LedgerError("account", f"{full!r}: the provider must be an id") from None
    elif not _METHOD.match(party):
        raise LedgerError("account", f"{full!r}: not a payment method identifier")


def account_type(full: str) -> str:
    return CHART[full.partition(":")[0]][0]


def natural_balance(full: str, raw_sum: int) -> int:
    """The balance on the account's normal side (credit-normal accounts flip the sign)."""
    return -raw_sum if account_type(full) in CREDIT_NORMAL else raw_sum


def party_of(full: str) -> str:
    return full.partition(":")[2]


def check_lines(lines: Sequence[tuple[str, int] | LedgerLine]) -> list[LedgerLine]:
    """Lines as LedgerLines, merged per account, zero lines dropped; refuses an unknown
    account, a non-integer amount, an empty journal or one that does not sum to zero."""
    merged: dict[str, int] = {}
    for line in lines:
        name, amount = line
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise LedgerError("amount_fen", "amounts are integer fen")
        check_account(name)
        merged[name] = merged.get(name, 0) + amount
    out = [LedgerLine(name, amount) for name, amount in merged.items() if amount]
    if not out:
        raise LedgerError("lines", "a journal needs at least one non-zero line")
    total = sum(line.amount_fen for line in out)
    if total:
        raise LedgerError("lines", f"the journal does not balance (off by {total} fen)")
    return out


def split_largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` fen in proportion to ``weights`` so the parts sum to ``total`` exactly.

    Each part gets the floor of its exact share; the fen left over go one each to the parts
    with the largest remainders (ties: the earlier part). A negative total is split as its
    absolute value and negated. Weights are non-negative integers, not all zero.
    """
    if any(w < 0 for w in weights) or not weights or sum(weights) == 0:
        raise LedgerError("weights", "weights must be non-negative and not all zero")
    if total < 0:
        return [-part for part in split_largest_remainder(-total, weights)]
    whole = sum(weights)
    parts = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    left = total - sum(parts)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        parts[index] += 1
    return parts


def commission_bps(commission: object, vertical: str) -> int:
    """The tenant's commission rate for ``vertical`` (``core.tenancy.schema.Commission``)."""
    per_vertical: dict[str, int] = getattr(commission, "per_vertical", {})
    bps = per_vertical.get(vertical, getattr(commission, "default_bps", 0))
    if not 0 <= bps <= 10_000:
        raise LedgerError("commission", f"{bps} basis points is outside 0..10000")
    return int(bps)


def commission_split(total: int, bps: int) -> tuple[int, int]:
    """``(commission, provider share)`` of ``total`` at ``bps`` basis points."""
    commission, share = split_largest_remainder(total, [bps, 10_000 - bps])
    return commission, share
