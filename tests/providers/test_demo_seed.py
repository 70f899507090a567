"""The demo seed: about six providers per demo tenant, idempotent, personal data encrypted,
one yellow trust code, one waiting for review, wanjia's locksmith offerable for lock jobs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.providers.tables import ProviderMedia, ProviderProfile
from core.verification import trust
from core.verification.eligibility import load_checks, offerable
from core.verification.tables import IdentityRecord
from tests.providers.conftest import within

pytestmark = pytest.mark.db


async def test_the_demo_seed_makes_providers_once(rows, tenants, plugins, settings) -> None:
    from core.catalog.service import build_catalog
    from core.demo import seed_demo

    first = await seed_demo(tenants, plugins, settings)
    counts, statuses, avatars = {}, [], 0
    for tenant_id in (rows.jiejia, rows.wanjia):
        mine = ProviderProfile.tenant == tenant_id
        counts[tenant_id] = await within(tenant_id, ProviderProfile.count().where(mine))
        found = await within(
            tenant_id,
            ProviderProfile.select(ProviderProfile.status, ProviderProfile.name_enc).where(mine),
        )
        statuses += [r["status"] for r in found]
        avatars += await within(
            tenant_id,
            ProviderMedia.count().where(
                (ProviderMedia.kind == "avatar") & (ProviderMedia.tenant == tenant_id)
            ),
        )
        for row in found:
            assert "秀" not in row["name_enc"] and "华" not in row["name_enc"]
        identities = IdentityRecord.select().where(IdentityRecord.tenant == tenant_id)
        for row in await within(tenant_id, identities):
            assert not row["number_enc"][:20].isdigit()
    second = await seed_demo(tenants, plugins, settings)

    assert "12 providers added" in first and "0 providers added" in second
    assert counts == {rows.jiejia: 6, rows.wanjia: 6}
    assert statuses.count("pending_review") == 2 and statuses.count("active") == 10
    assert avatars == 12

    now = datetime.now(UTC)
    wanjia = tenants.get("wanjia")
    catalog = build_catalog(plugins, wanjia)[0]
    colours = []
    active = ProviderProfile.select().where(
        (ProviderProfile.tenant == rows.wanjia) & (ProviderProfile.status == "active")
    )
    for profile in await within(rows.wanjia, active):
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
