"""The admin's review queue: pending providers with their checks, masked numbers, the audited
reveal, and decisions with reasons."""

from __future__ import annotations

from datetime import date

import pytest

from core.privacy import service as privacy
from core.privacy.tables import PersonalDataRead
from core.providers.tables import ProviderProfile
from core.verification.tables import Certificate, IdentityCheck
from tests.providers.conftest import Browser, id_number, make_provider, within

pytestmark = pytest.mark.db
ADMIN = ("admin@jiejia.example", "correct-horse-battery")


async def sign_in_admin(browser: Browser, tenant_id: str) -> None:
    from core.accounts.passwords import create_staff

    await create_staff(tenant_id, ADMIN[0], ADMIN[1], ["admin"], name="周主管")
    done = browser.post(
        "/staff/signin",
        "/staff/signin",
        {"email": ADMIN[0], "password": ADMIN[1]},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


async def waiting(plugins, jiejia, rows, store) -> str:  # type: ignore[no-untyped-def]
    """A provider waiting for review, certificates not yet checked."""
    from core.verification import service as verification

    made = await make_provider(plugins, jiejia, rows.jiejia, store, activate=False)
    await within(
        rows.jiejia,
        Certificate.update({Certificate.status: "pending"}).where(Certificate.id.is_not_null()),
    )
    profiles = await within(rows.jiejia, ProviderProfile.select(ProviderProfile.status))
    assert profiles[0]["status"] == "pending_review"
    assert verification  # decisions go through the service in the pages
    return made.profile_id


async def test_the_queue_lists_providers_waiting_with_masked_names(
    rows, store, plugins, jiejia, phone
) -> None:
    profile_id = await waiting(plugins, jiejia, rows, store)
    await sign_in_admin(phone, rows.jiejia)

    queue = phone.get("/admin/providers")

    assert queue.status_code == 200
    assert f"/admin/providers/{profile_id}" in queue.text
    assert "李**" in queue.text and "李秀英" not in queue.text
    assert "待审核证书：2 份" in queue.text


async def test_the_file_masks_numbers_and_reveals_them_only_with_an_audit_entry(
    rows, store, plugins, jiejia, phone
) -> None:
    profile_id = await waiting(plugins, jiejia, rows, store)
    await sign_in_admin(phone, rows.jiejia)
    number = id_number(111)  # make_provider's card for 13900001111

    file = phone.get(f"/admin/providers/{profile_id}")
    assert file.status_code == 200
    assert number not in file.text and number[0] + "*" * 16 + number[-1] in file.text
    assert "/media/certificate/" in file.text
    assert await within(rows.jiejia, PersonalDataRead.count()) == 0

    shown = phone.post(
        f"/admin/providers/{profile_id}",
        f"/admin/providers/{profile_id}/reveal",
        {"what": "id_number"},
    )

    assert shown.status_code == 200 and number in shown.text
    reads = await within(rows.jiejia, PersonalDataRead.select())
    assert [(r["field"], r["actor_role"]) for r in reads] == [("identity.number", "admin")]
    cert = (await within(rows.jiejia, Certificate.select()))[0]
    clear = privacy.unseal(cert["number_enc"], field="certificate.number", tenant_id=rows.jiejia)
    shown = phone.post(
        f"/admin/providers/{profile_id}",
        f"/admin/providers/{profile_id}/reveal",
        {"what": f"certificate:{cert['id']}"},
    )
    assert clear in shown.text
    assert await within(rows.jiejia, PersonalDataRead.count()) == 2


async def test_rejecting_needs_a_reason_and_the_provider_sees_it(
    rows, store, plugins, jiejia, phone
) -> None:
    profile_id = await waiting(plugins, jiejia, rows, store)
    await sign_in_admin(phone, rows.jiejia)
    cert = (await within(rows.jiejia, Certificate.select()))[0]
    path = f"/admin/providers/{profile_id}"

    silent = phone.post(path, f"{path}/certificates/{cert['id']}", {"decision": "reject"})
    assert silent.status_code == 400 and "请填写驳回原因" in silent.text
    assert (await within(rows.jiejia, Certificate.select().where(Certificate.id == cert["id"])))[0][
        "status"
    ] == "pending"

    phone.post(
        path,
        f"{path}/certificates/{cert['id']}",
        {"decision": "reject", "reason": "照片模糊，看不清编号"},
    )
    assert (await within(rows.jiejia, Certificate.select().where(Certificate.id == cert["id"])))[0][
        "status"
    ] == "rejected"
    answer = phone.post(
        path,
        f"{path}/decision",
        {"decision": "reject", "reason": "请重新上传清晰的证书照片"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    profile = (await within(rows.jiejia, ProviderProfile.select()))[0]
    assert (profile["status"], profile["status_reason"]) == ("rejected", "请重新上传清晰的证书照片")


async def test_approving_certificates_and_the_provider_makes_them_offerable(
    rows, store, plugins, jiejia, phone
) -> None:
    from datetime import UTC, datetime

    from core.catalog.service import build_catalog
    from core.verification.eligibility import offerable

    profile_id = await waiting(plugins, jiejia, rows, store)
    await sign_in_admin(phone, rows.jiejia)
    path = f"/admin/providers/{profile_id}"
    for cert in await within(rows.jiejia, Certificate.select()):
        phone.post(path, f"{path}/certificates/{cert['id']}", {"decision": "approve"})
    phone.post(path, f"{path}/decision", {"decision": "approve"})

    catalog = build_catalog(plugins, jiejia)[0]
    found = await offerable(
        plugins,
        jiejia,
        rows.jiejia,
        catalog,
        profile_id,
        "housekeeping.home_cleaning",
        datetime.now(UTC),
    )
    assert found.ok, found.missing


async def test_another_tenants_provider_is_a_404_in_the_console(
    rows, store, plugins, wanjia, phone
) -> None:
    made = await make_provider(plugins, wanjia, rows.wanjia, store, activate=False)
    await sign_in_admin(phone, rows.jiejia)

    assert phone.get(f"/admin/providers/{made.profile_id}").status_code == 404
    answer = phone.post(
        "/admin/providers", f"/admin/providers/{made.profile_id}/decision", {"decision": "approve"}
    )
    assert answer.status_code == 404
    assert (
        await within(
            rows.wanjia, ProviderProfile.select().where(ProviderProfile.id == made.profile_id)
        )
    )[0]["status"] == "pending_review"


async def test_providers_and_customers_cannot_open_the_queue(rows, phone, inbox) -> None:
    phone.sign_in("13900005555", inbox)

    assert phone.get("/admin/providers").status_code == 403


async def test_a_police_filing_is_confirmed_in_the_console(
    rows, store, plugins, wanjia, wanjia_phone
) -> None:
    from core.verification import proofs

    made = await make_provider(
        plugins, wanjia, rows.wanjia, store, activate=False, skills=("locksmith.door_unlock",)
    )
    await proofs.submit_police_filing(
        rows.wanjia,
        made.profile_id,
        filing_number="ZJHZ-2024-00999",
        bureau="杭州市公安局",
        filed_on=date(2024, 5, 1),
    )
    await sign_in_admin(wanjia_phone, rows.wanjia)
    path = f"/admin/providers/{made.profile_id}"

    page = wanjia_phone.get(path)
    assert "ZJHZ-2024-00999" not in page.text and "杭州市公安局" in page.text
    wanjia_phone.post(path, f"{path}/police", {"decision": "approve"})

    check = await within(
        rows.wanjia, IdentityCheck.select().where(IdentityCheck.kind == "police_filing")
    )
    assert check[0]["status"] == "passed"


async def test_the_file_of_a_factory_provider_opens_with_numbers_masked(
    rows, plugins, tenants, settings, wanjia_phone
) -> None:
    """Providers made straight in the tables (tests/factories.py: no name, no identity record,
    no filing record) open in the console like any other, every vertical's certificates
    masked; revealing one is audited."""
    from tests.factories import make_world

    world = await make_world(plugins, tenants, settings, "wanjia")
    profile_id = await world.provider([item.ref for item in world.catalog.items])
    await sign_in_admin(wanjia_phone, rows.wanjia)
    path = f"/admin/providers/{profile_id}"

    page = wanjia_phone.get(path)

    assert page.status_code == 200, page.text
    certs = await within(rows.wanjia, Certificate.select(Certificate.id, Certificate.number_enc))
    assert certs, "the factory approved the skills' certificates"
    numbers = [
        privacy.unseal(c["number_enc"], field="certificate.number", tenant_id=rows.wanjia)
        for c in certs
    ]
    assert all(number not in page.text for number in numbers)
    shown = wanjia_phone.post(path, f"{path}/reveal", {"what": f"certificate:{certs[0]['id']}"})
    assert shown.status_code == 200 and numbers[0] in shown.text
    assert await within(rows.wanjia, PersonalDataRead.count()) == 1
