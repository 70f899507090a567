"""Balances read from the books: one account's, and a provider's at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.ledger.chart import account, check_account, natural_balance
from core.ledger.journal import raw_sum, raw_sums
from core.ledger.service import valid_provider
from core.tenancy.scoped import within_tenant


@within_tenant
async def balance(tenant_id: Any, account: str, *, until: datetime | None = None) -> int:
    """The account's balance on its normal side (a liability's credit balance is positive)."""
    check_account(account)
    return natural_balance(account, await raw_sum(tenant_id, account, until=until))


@dataclass(frozen=True)
class ProviderBalances:
    payable: int
    """Earned, not yet paid out (includes what is still in the holding period)."""
    deposit: int
    cash_owed: int
    receivable: int

    @property
    def net(self) -> int:
        """What the platform owes the provider after what the provider owes it."""
        return self.payable - self.cash_owed - self.receivable


@within_tenant
async def provider_balances(tenant_id: Any, provider_id: Any) -> ProviderBalances:
    provider = valid_provider(provider_id)
    names = {
        kind: account(kind, provider)
        for kind in ("provider_payable", "provider_deposit", "cash_owed", "provider_receivable")
    }
    sums = await raw_sums(tenant_id, list(names.values()))
    value = {kind: natural_balance(name, sums.get(name, 0)) for kind, name in names.items()}
    return ProviderBalances(
        payable=value["provider_payable"],
        deposit=value["provider_deposit"],
        cash_owed=value["cash_owed"],
        receivable=value["provider_receivable"],
    )
