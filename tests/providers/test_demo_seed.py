"""The demo seed: about six providers per demo tenant, idempotent, personal data encrypted,
one yellow trust code, one waiting for review, wanjia's locksmith offerable for lock jobs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.providers.tables import ProviderMedia, ProviderProfile
from core.verification import trust
from core.verification.service import load_checks, offerable
from core.verification.tables import IdentityRecord

pytestmark = pytest.mark.db


async def test_the_demo_seed_makes_providers_once(rows, tenants, plugins, settings) -> None:
    from core.catalog.service import build_catalog
    from core.demo import seed_demo

    first = await seed_demo(tenants, plugins, settings)
    counts = {
        tenant_id: await ProviderProfile.count().where(ProviderProfile.tenant == tenant_id)
        for tenant_id in (rows.jiejia, rows.wanjia)
    }
    second = await seed_demo(tenants, plugins, settings)

    assert "12 providers added" in first and "0 providers added" in second
    assert counts == {rows.jiejia: 6, rows.wanjia: 6}
    assert await ProviderProfile.count() == 12
    statuses = [r["status"] for r in await ProviderProfile.select(ProviderProfile.status)]
    assert statuses.count("pending_review") == 2 and statuses.count("active") == 10
    assert await ProviderMedia.count().where(ProviderMedia.kind == "avatar") == 12
    for row in await IdentityRecord.select():
        assert not row["number_enc"][:20].isdigit()
    for row in await ProviderProfile.select(ProviderProfile.name_enc):
        assert "秀" not in row["name_enc"] and "华" not in row["name_enc"]

    now = datetime.now(UTC)
    wanjia = tenants.get("wanjia")
    catalog = build_catalog(plugins, wanjia)[0]
    colours = []
    for profile in await ProviderProfile.select().where(
        (ProviderProfile.tenant == rows.wanjia) & (ProviderProfile.status == "active")
    ):
        state = await load_checks(rows.wanjia, str(profile["id"]))
        colours.append(trust.verdict(state, now).colour)
        if "locksmith.door_unlock" in state.skills:
            found = await offerable(
                plugins,
                wanjia,
                rows.wanjia,
                catalog,
                str(profile["id"]),
                "locksmith.door_unlock",
                now,
            )
            assert found.ok, found.missing
    assert sorted(colours) == ["green", "green", "green", "green", "yellow"]
