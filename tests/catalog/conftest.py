"""Fixtures of the catalogue tests: the demo tenants, and their rows for database tests."""

from __future__ import annotations

import pytest

from core.tenancy.model import Tenant


@pytest.fixture(scope="session")
def jiejia(tenants) -> Tenant:  # type: ignore[no-untyped-def]
    """Housekeeping only; minimum charge ¥99."""
    found = tenants.get("jiejia")
    assert found is not None
    return found


@pytest.fixture(scope="session")
def wanjia(tenants) -> Tenant:  # type: ignore[no-untyped-def]
    """All four verticals; repair night surcharge ¥50."""
    found = tenants.get("wanjia")
    assert found is not None
    return found


@pytest.fixture
async def demo_rows(db, tenants) -> None:  # type: ignore[no-untyped-def]
    """An empty database holding the demo tenants' rows (no price list yet)."""
    from core.tenancy.service import sync_tenant_rows

    await sync_tenant_rows(tenants)


@pytest.fixture
def english(app):  # type: ignore[no-untyped-def]
    """A client of a visitor who chose English (the ``doorstep_lang`` cookie), on jiejia;
    pass ``headers={"host": "wanjia.localhost"}`` for wanjia."""
    from litestar.testing import TestClient

    with TestClient(
        app, base_url="http://jiejia.localhost", cookies={"doorstep_lang": "en"}
    ) as test_client:
        yield test_client
