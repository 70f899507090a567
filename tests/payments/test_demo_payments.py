"""The demo's payments: completed demo bookings paid through the WeChat Pay stand-in (in the
ledger from the first start), the two most recent left for a new user to pay; seeding twice
pays nothing twice."""

from __future__ import annotations

import pytest

from core.booking.tables import Booking
from core.ledger.tables import LedgerJournal
from core.payments.tables import Payment
from core.tenancy.scoped import scoped
from core.tenancy.service import tenant_row_id
from tests.tenant_access import all_tenants

pytestmark = pytest.mark.db


async def test_the_demo_pays_all_but_the_two_latest_completed_bookings_once(
    db,
    tenants,
    plugins,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    from core.demo import seed_demo

    first = await seed_demo(tenants, plugins, settings)
    second = await seed_demo(tenants, plugins, settings)

    assert "12 bookings paid through the WeChat Pay stand-in" in first
    assert "0 bookings paid through the WeChat Pay stand-in" in second
    jiejia = str(await tenant_row_id("jiejia"))
    async with all_tenants():
        bookings = (
            await scoped(Booking, jiejia)
            .select()
            .where(Booking.status == "completed")  # not the safety demo's job under way
            .order_by(Booking.starts_at)
        )
        payments = await scoped(Payment, jiejia).select()
        captures = (
            await scoped(LedgerJournal, jiejia).select().where(LedgerJournal.kind == "capture")
        )
    paid = {str(p["booking"]) for p in payments if p["status"] == "captured"}
    assert [str(b["id"]) in paid for b in bookings] == [True] * 6 + [False] * 2
    assert sorted(str(j["payment"]) for j in captures) == sorted(str(p["id"]) for p in payments)
    assert {p["method"] for p in payments} == {"wechat_pay"}
