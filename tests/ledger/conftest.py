"""Fixtures of the ledger tests: a demo tenant's books, empty, and ids for the parties."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from core.ledger.balances import balance
from core.ledger.payment_postings import record_capture, record_refund
from core.tenancy.model import Tenant
from tests.factories import NOW


@dataclass
class Books:
    """One tenant's (empty) books and a few providers and payments to post about."""

    tenant: Tenant
    tenant_id: str
    providers: list[str] = field(default_factory=lambda: [str(uuid.uuid4()) for _ in range(3)])

    @property
    def provider(self) -> str:
        return self.providers[0]

    async def capture(
        self,
        amount_fen: int,
        *,
        method: str = "wechat",
        provider: str | None = None,
        vertical: str = "housekeeping",
        at: datetime = NOW,
        booking: str | None = None,
        fee_fen: int = 0,
    ) -> tuple[str, str]:
        """A captured payment of a new booking: ``(payment id, booking id)``."""
        payment, booking = str(uuid.uuid4()), booking or str(uuid.uuid4())
        await record_capture(
            self.tenant,
            self.tenant_id,
            payment_id=payment,
            booking_id=booking,
            provider_id=provider or self.provider,
            vertical=vertical,
            amount_fen=amount_fen,
            method=method,
            at=at,
            event_key=f"capture:{payment}",
            fee_fen=fee_fen,
        )
        return payment, booking

    async def refund(
        self,
        payment: str,
        amount_fen: int,
        *,
        method: str = "wechat",
        provider: str | None = None,
        at: datetime = NOW,
        key: str | None = None,
    ) -> uuid.UUID:
        return await record_refund(
            self.tenant,
            self.tenant_id,
            payment_id=payment,
            booking_id=None,
            provider_id=provider or self.provider,
            vertical="housekeeping",
            amount_fen=amount_fen,
            method=method,
            at=at,
            event_key=key or f"refund:{uuid.uuid4()}",
        )

    async def payable(self, provider: str | None = None) -> int:
        return await balance(self.tenant_id, f"provider_payable:{provider or self.provider}")


async def _books(tenants: Any, slug: str) -> Books:
    from core.tenancy.service import sync_tenant_rows, tenant_row_id

    await sync_tenant_rows(tenants)
    tenant = tenants.get(slug)
    tenant_id = await tenant_row_id(slug)
    assert tenant is not None and tenant_id is not None
    return Books(tenant, tenant_id)


@pytest.fixture
async def jiejia(db, tenants) -> Books:  # type: ignore[no-untyped-def]
    """Jiejia: 18 % commission on everything."""
    return await _books(tenants, "jiejia")


@pytest.fixture
async def wanjia(db, tenants) -> Books:  # type: ignore[no-untyped-def]
    """Wanjia: 15 % by default, 20 % on locksmith jobs."""
    return await _books(tenants, "wanjia")


UNBALANCED_SQL = (
    "SELECT journal, SUM(amount_fen) AS off FROM ledger_entry GROUP BY journal "
    "HAVING SUM(amount_fen) <> 0"
)


async def unbalanced_journals() -> list[Any]:
    """Every journal whose entries do not sum to zero, across tenants (must find none)."""
    from core.ledger.tables import LedgerEntry
    from tests.tenant_access import all_tenants

    async with all_tenants():
        return list(await LedgerEntry.raw(UNBALANCED_SQL))


async def journal_count(kind: str | None = None) -> int:
    from core.ledger.tables import LedgerJournal
    from tests.tenant_access import all_tenants

    async with all_tenants():
        query = LedgerJournal.count()
        if kind is not None:
            query = query.where(LedgerJournal.kind == kind)
        return int(await query)
