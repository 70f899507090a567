"""Tenants for the hook tests: the demo tenants, and copies that enable the test verticals."""

from __future__ import annotations

import pytest

from core.tenancy.model import Tenant
from core.tenancy.registry import TenantRegistry
from tests.hooks.host import (
    GARDENING,
    PEST_CONTROL,
    GardeningConfig,
    PestControlConfig,
    tenant_enabling,
)


@pytest.fixture
def jiejia(tenants: TenantRegistry) -> Tenant:
    """The housekeeping-only demo tenant."""
    tenant = tenants.get("jiejia")
    assert tenant is not None and tenant.enabled_verticals == ("housekeeping",)
    return tenant


@pytest.fixture
def wanjia(tenants: TenantRegistry) -> Tenant:
    """The demo tenant with all four in-tree verticals (and no test vertical)."""
    tenant = tenants.get("wanjia")
    assert tenant is not None and GARDENING not in tenant.enabled_verticals
    return tenant


@pytest.fixture
def garden(jiejia: Tenant) -> Tenant:
    """Jiejia's twin that also enables gardening, at ``garden.localhost``."""
    configs = {
        **jiejia.vertical_configs,
        GARDENING: GardeningConfig(hedge_price_fen_per_m=1800, disabled_items=["lawns"]),
    }
    return tenant_enabling(jiejia, "garden", configs)


@pytest.fixture
def garden_and_pests(jiejia: Tenant) -> Tenant:
    """A tenant enabling housekeeping, gardening and pest control."""
    configs = {
        **jiejia.vertical_configs,
        GARDENING: GardeningConfig(),
        PEST_CONTROL: PestControlConfig(),
    }
    return tenant_enabling(jiejia, "gardenpest", configs)
