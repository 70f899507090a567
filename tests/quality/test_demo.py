"""The demo's quality data: served and reviewed bookings, an open complaint about a late, poor
cleaning, spot-check tasks for the inspectors and a public quality page with figures (only
where at least the minimum sample stands behind them). Seeding twice adds nothing."""

from __future__ import annotations

from collections import Counter

import pytest
from litestar.testing import TestClient

from core.booking.tables import Booking, Review
from core.quality.tables import Complaint, ComplaintEvidence, QualitySnapshot, SpotCheck
from core.tenancy.scoped import scoped
from core.tenancy.service import tenant_row_id
from tests.tenant_access import all_tenants

pytestmark = pytest.mark.db


async def rows_of(table, tenant_id: str) -> list[dict]:  # type: ignore[no-untyped-def]
    async with all_tenants():
        return list(await scoped(table, tenant_id).select())


async def test_the_demo_has_served_bookings_a_complaint_spot_checks_and_public_figures(
    db, tenants, plugins, settings, client: TestClient
) -> None:
    from core.demo import seed_demo

    first = await seed_demo(tenants, plugins, settings)
    jiejia = str(await tenant_row_id("jiejia"))
    bookings = await rows_of(Booking, jiejia)
    complaints = await rows_of(Complaint, jiejia)
    snapshot = await rows_of(QualitySnapshot, jiejia)
    second = await seed_demo(tenants, plugins, settings)

    assert "16 served bookings with reviews and complaints added" in first
    assert "0 served bookings with reviews and complaints added" in second
    # the eight served ones (the safety and dispatch demos add jobs under way and planned)
    assert Counter(b["status"] for b in bookings)["completed"] == 8
    reviews = await rows_of(Review, jiejia)
    assert len(reviews) == 8 and min(r["rating"] for r in reviews) == 2
    (complaint,) = complaints
    assert (complaint["status"], complaint["category"]) == ("open", "lateness")
    assert len(await rows_of(ComplaintEvidence, jiejia)) == 1
    assert await rows_of(SpotCheck, jiejia)
    published = Counter(row["scope"] for row in snapshot)
    # eight cleanings: six by one cleaner (published), two by the other (too few to show)
    assert published == {"day": 1, "vertical": 1, "provider": 1}
    (vertical,) = [row for row in snapshot if row["scope"] == "vertical"]
    assert vertical["sample"] == 8
    assert len(await rows_of(Complaint, str(await tenant_row_id("wanjia")))) == 1

    page = client.get("/quality")
    assert page.status_code == 200
    # ratings 5 5 5 4 5 5 5 2; one check-in of eight late; one complaint in eight bookings
    assert "<th>家政保洁</th><td>4.5</td><td>88%</td><td>12%</td>" in page.text
    assert page.text.count('<tr><th><a href="/providers/') == 1
