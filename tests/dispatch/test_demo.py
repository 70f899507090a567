"""The demo's dispatch day: tomorrow's jobs of the demo tenants, booked through the booking flow,
already planned with a route per provider, and one urgent job booked since the plan for the
dispatcher to insert. Seeding twice adds nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pytest
from litestar.testing import TestClient

from core.accounts.demo import DEMO_PASSWORD, STAFF
from core.accounts.passwords import check_password
from core.accounts.signin import start_session
from core.booking.tables import Booking
from core.dispatch import service
from core.dispatch.board import board
from core.dispatch.day import day_input
from core.dispatch.demo import seed_demo_dispatch, tomorrow_of
from core.dispatch.feasibility import violations
from core.dispatch.schemas import DaySolution, PlannedRoute
from core.tenancy.scoped import scoped, tenant_transaction
from core.tenancy.service import sync_tenant_rows, tenant_row_id
from tests.booking.test_pages import Browser
from tests.tenant_access import all_tenants

pytestmark = pytest.mark.db
BOARD = "/admin/dispatch"


def weekday_eve() -> datetime:
    """Now, or the coming Sunday-to-Thursday: the demo providers' tomorrow is a working day."""
    now = datetime.now(UTC)
    while (now + timedelta(hours=8)).weekday() in (4, 5):  # Shanghai Friday or Saturday
        now += timedelta(days=1)
    return now


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://jiejia.localhost") as made:
        yield made


@pytest.fixture
async def seeded(db, tenants, plugins, settings) -> tuple[datetime, str]:  # type: ignore[no-untyped-def]
    from core.accounts.demo import seed_demo_accounts
    from core.privacy import service as privacy
    from core.providers.demo import seed_demo_providers

    privacy.configure(settings)
    await sync_tenant_rows(tenants)
    await seed_demo_accounts(tenants, plugins)
    await seed_demo_providers(tenants, plugins, settings)
    now = weekday_eve()
    return now, await seed_demo_dispatch(tenants, plugins, settings, now=now)


async def tomorrows(tenant_id: str) -> list[dict]:  # type: ignore[type-arg]
    async with all_tenants():
        return list(await scoped(Booking, tenant_id).select())


async def test_tomorrow_is_booked_planned_per_provider_and_one_urgent_job_waits(
    seeded, tenants, plugins
) -> None:  # type: ignore[no-untyped-def]
    now, summary = seeded
    assert summary == "19 bookings for tomorrow added, 2 day plans made"
    for slug, jobs, routes in (("jiejia", 10, 3), ("wanjia", 9, 3)):
        tenant = tenants.get(slug)
        tenant_id = str(await tenant_row_id(slug))
        day = tomorrow_of(tenant, now)
        rows = await tomorrows(tenant_id)
        assert len(rows) == jobs
        assert Counter(r["status"] for r in rows) == {"accepted": jobs - 2, "offered": 2}
        zone = ZoneInfo(tenant.config.timezone)
        assert {r["starts_at"].astimezone(zone).date() for r in rows} == {day}
        (urgent,) = [r for r in rows if r["urgent"]]
        assert urgent["status"] == "accepted"
        assert len({r["customer"] for r in rows}) == 4
        assert len({r["district"] for r in rows}) >= 4

        async with tenant_transaction(tenant_id):
            stored = await service.stored_plan(tenant_id, day)
            tools = service.adapters(plugins, tenant)
            day_in = await day_input(tenant, tenant_id, day, tools.estimator)
            seen = await board(tenant, tenant_id, day)
        assert stored is not None
        # every job but the urgent one booked since is routed, with its chosen provider
        assert routed(stored) == {str(r["id"]): str(r["provider"]) for r in rows if not r["urgent"]}
        assert stored["unassigned"] == []
        assert len(stored["routes"]) == routes
        assert stored["totals"]["windows_kept"] == jobs - 1
        solution = DaySolution(
            routes=tuple(msgspec.convert(r, PlannedRoute) for r in stored["routes"]),
            unassigned=(),
            solver="stored",
        )
        others = msgspec.structs.replace(
            day_in.problem,
            jobs=tuple(j for j in day_in.problem.jobs if j.id != str(urgent["id"])),
        )
        assert violations(others, solution) == []
        assert [w.job.id for w in seen.unplanned] == [str(urgent["id"])]

        async with tenant_transaction(tenant_id):
            inserted = await service.insert_urgent_booking(
                tenant, tenant_id, str(urgent["id"]), tools, now=now
            )
        # inserted into its provider's running route; nobody else moved to another provider
        assert routed(inserted) == {str(r["id"]): str(r["provider"]) for r in rows}


def routed(stored: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {s["job"]: r["provider"] for r in stored["routes"] for s in r["stops"] if s["job"]}


async def test_the_dispatcher_sees_every_route_drawn_and_the_job_to_insert(
    seeded, tenants, client: TestClient
) -> None:  # type: ignore[no-untyped-def]
    now, _ = seeded
    tenant = tenants.get("jiejia")
    tenant_id = str(await tenant_row_id("jiejia"))
    email = next(s.email for s in STAFF["jiejia"] if "dispatcher" in s.roles)
    async with tenant_transaction(tenant_id):
        user = await check_password(tenant_id, email, DEMO_PASSWORD)
    assert user is not None
    dispatcher = Browser(client, await start_session(str(user), tenant_id))

    page = dispatcher.get(f"{BOARD}?day={tomorrow_of(tenant, now).isoformat()}")

    assert page.status_code == 200
    html = page.text
    assert html.count("<polyline") == 3  # one drawn route per provider
    for name in ("张阿姨", "李阿姨", "王师傅"):
        assert name in html
    assert "重新排线" in html and 'action="/admin/dispatch/insert"' in html
    assert "世纪大道" not in html  # staff see the district, not the address


async def test_seeding_twice_adds_nothing(seeded, tenants, plugins, settings) -> None:  # type: ignore[no-untyped-def]
    now, _ = seeded
    jiejia = str(await tenant_row_id("jiejia"))
    before = await tomorrows(jiejia)

    second = await seed_demo_dispatch(tenants, plugins, settings, now=now)

    assert second == "0 bookings for tomorrow added, 0 day plans made"
    assert len(await tomorrows(jiejia)) == len(before)
