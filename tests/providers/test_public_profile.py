"""The public profile: badges for passed checks, never a number; only active providers."""

from __future__ import annotations

import pytest

from core.privacy import service as privacy
from core.verification.tables import Certificate, IdentityRecord
from tests.providers.conftest import make_provider, within

pytestmark = pytest.mark.db


async def test_an_active_provider_shows_badges_but_never_numbers(
    rows, store, plugins, jiejia, phone
) -> None:
    made = await make_provider(plugins, jiejia, rows.jiejia, store, name="李秀英")

    page = phone.get(f"/providers/{made.profile_id}")

    assert page.status_code == 200
    text = page.text
    assert "李阿姨" in text and "李秀英" not in text  # surname form, the tenant's policy
    for badge in ("实名认证", "手机已验证", "健康证", "家政服务培训证书", "家政保洁上岗培训"):
        assert f'<span aria-hidden="true">✔</span> {badge}' in text
    assert "40-49" in text and "1980" not in text  # an age band, never the year
    assert "暂无评价" in text
    identity = (await within(rows.jiejia, IdentityRecord.select()))[0]
    id_number = privacy.unseal(
        identity["number_enc"], field="identity.number", tenant_id=rows.jiejia
    )
    assert id_number not in text and id_number[-6:] not in text
    for cert in await within(rows.jiejia, Certificate.select()):
        number = privacy.unseal(
            cert["number_enc"], field="certificate.number", tenant_id=rows.jiejia
        )
        assert number not in text
    assert "/media/avatar/" in text
    assert "世纪大道" not in text  # the home address stays private


async def test_a_provider_still_in_review_has_no_public_profile(
    rows, store, plugins, jiejia, phone
) -> None:
    made = await make_provider(plugins, jiejia, rows.jiejia, store, activate=False)

    assert phone.get(f"/providers/{made.profile_id}").status_code == 404


async def test_another_tenants_provider_is_a_404(rows, store, plugins, wanjia, phone) -> None:
    made = await make_provider(plugins, wanjia, rows.wanjia, store)

    assert phone.get(f"/providers/{made.profile_id}").status_code == 404
    assert phone.get("/providers/not-a-uuid").status_code == 404


async def test_the_public_profile_in_english(rows, store, plugins, jiejia, phone) -> None:
    made = await make_provider(plugins, jiejia, rows.jiejia, store)
    phone.client.cookies.set("doorstep_lang", "en")

    page = phone.get(f"/providers/{made.profile_id}")

    assert "Identity verified" in page.text and "Health certificate" in page.text
    assert "No reviews yet" in page.text


async def test_the_api_gives_the_same_public_profile(rows, store, plugins, jiejia, phone) -> None:
    made = await make_provider(plugins, jiejia, rows.jiejia, store)

    answer = phone.get(f"/api/v1/providers/{made.profile_id}")

    assert answer.status_code == 200
    body = answer.json()
    assert body["displayName"] == "李阿姨"
    assert {b["code"] for b in body["badges"]} >= {
        "identity",
        "phone",
        "certificate:health_certificate",
        "certificate:housekeeping_training",
        "training:housekeeping.service_basics",
    }
    assert body["rating"] == {"average": None, "count": 0}
    assert body["recentReviews"] == []
    assert "number" not in str(body).lower().replace("jobsdone", "")
    assert phone.get("/api/v1/providers/00000000-0000-0000-0000-000000000000").status_code == 404
