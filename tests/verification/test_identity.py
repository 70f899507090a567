"""A provider proves who they are: the ID number is checked here, name and face by the vendor."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.privacy import service as privacy
from core.verification.identity import poll_vendor_checks
from core.verification.service import VerificationError
from core.verification.tables import IdentityCheck, IdentityRecord
from tests.verification.conftest import NOW, Kit, id_number

pytestmark = pytest.mark.db

CLEANING = ["housekeeping.home_cleaning"]


def wrong_check_digit(number: str) -> str:
    other = "0" if number[-1] != "0" else "1"
    return number[:-1] + other


async def test_a_valid_id_number_passes_and_the_vendor_checks_start(wanjia_kit: Kit):
    provider = await wanjia_kit.provider(CLEANING)

    await wanjia_kit.submit_identity(provider, number=id_number())

    checks = (await wanjia_kit.state(provider)).checks
    assert checks["id_number"]["status"] == "passed"
    assert checks["address"]["status"] == "passed"
    assert checks["real_name"]["status"] == "pending"
    assert checks["face_match"]["status"] == "pending"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        (wrong_check_digit(id_number()), "the check digit does not match"),
        (id_number(born="19880230"), "the birth date is not a real date"),
        (id_number(born="20270101"), "the birth date is impossible"),
        (id_number(region="990105"), "the region code is not a known region"),
        (id_number(born="20100101"), "providers must be adults"),
    ],
    ids=["wrong checksum", "30 February", "born in the future", "unknown region", "aged 16"],
)
async def test_a_bad_id_number_is_rejected_naming_id_number_and_nothing_is_saved(
    wanjia_kit: Kit, number: str, reason: str
):
    provider = await wanjia_kit.provider(CLEANING)

    with pytest.raises(VerificationError) as refused:
        await wanjia_kit.submit_identity(provider, number=number)

    assert refused.value.field == "id_number"
    assert refused.value.reason == reason
    assert number not in str(refused.value)
    assert await wanjia_kit.rows(IdentityRecord) == []
    assert await wanjia_kit.rows(IdentityCheck) == []


async def test_the_same_id_card_cannot_back_two_providers(wanjia_kit: Kit):
    first = await wanjia_kit.provider(CLEANING, name="王小明")
    second = await wanjia_kit.provider(CLEANING, name="王小明")
    await wanjia_kit.submit_identity(first, number=id_number())

    with pytest.raises(VerificationError) as refused:
        await wanjia_kit.submit_identity(second, number=id_number())

    assert refused.value.field == "id_number"
    assert refused.value.reason == "this ID card already backs another provider"
    assert await wanjia_kit.rows(IdentityRecord, provider=second) == []
    assert await wanjia_kit.rows(IdentityCheck, provider=second) == []
    assert len(await wanjia_kit.rows(IdentityRecord, provider=first)) == 1


async def test_a_normal_name_passes_after_the_vendors_delay(wanjia_kit: Kit):
    kit = wanjia_kit
    provider = await kit.provider(CLEANING)
    await kit.submit_identity(provider, name="王小明", now=NOW)

    kit.clock.set(NOW + timedelta(seconds=1))
    early = await poll_vendor_checks(
        kit.tenant, kit.tenant_id, [kit.verifier], now=NOW + timedelta(seconds=1)
    )

    assert early == {"passed": 0, "failed": 0, "timed_out": 0, "waiting": 2}
    assert (await kit.state(provider)).checks["face_match"]["status"] == "pending"

    kit.clock.set(NOW + timedelta(seconds=3))
    ready = await poll_vendor_checks(
        kit.tenant, kit.tenant_id, [kit.verifier], now=NOW + timedelta(seconds=3)
    )

    assert ready == {"passed": 2, "failed": 0, "timed_out": 0, "waiting": 0}
    checks = (await kit.state(provider)).checks
    assert checks["real_name"]["status"] == "passed"
    assert checks["face_match"]["status"] == "passed"
    again = await poll_vendor_checks(
        kit.tenant, kit.tenant_id, [kit.verifier], now=NOW + timedelta(seconds=4)
    )
    assert again == {"passed": 0, "failed": 0, "timed_out": 0, "waiting": 0}


async def test_a_rejected_name_fails_with_the_vendors_reason(wanjia_kit: Kit):
    kit = wanjia_kit
    provider = await kit.provider(CLEANING, name="王拒绝")
    await kit.submit_identity(provider, name="王拒绝", now=NOW)

    kit.clock.set(NOW + timedelta(seconds=3))
    report = await poll_vendor_checks(
        kit.tenant, kit.tenant_id, [kit.verifier], now=NOW + timedelta(seconds=3)
    )

    assert report["failed"] == 2
    checks = (await kit.state(provider)).checks
    assert checks["real_name"]["status"] == "failed"
    assert checks["real_name"]["reason"] == "the name does not match the ID card"
    assert (await kit.offerable(provider, CLEANING[0])).ok is False


async def test_a_silent_vendor_times_out_after_ten_minutes_and_can_be_retried(wanjia_kit: Kit):
    kit = wanjia_kit
    provider = await kit.provider(CLEANING, name="王超时")
    await kit.submit_identity(provider, name="王超时", now=NOW)

    almost = NOW + timedelta(minutes=9, seconds=59)
    kit.clock.set(almost)
    waiting = await poll_vendor_checks(kit.tenant, kit.tenant_id, [kit.verifier], now=almost)
    assert waiting["waiting"] == 2

    late = NOW + timedelta(minutes=10)
    kit.clock.set(late)
    timed_out = await poll_vendor_checks(kit.tenant, kit.tenant_id, [kit.verifier], now=late)

    assert timed_out["timed_out"] == 2
    face = (await kit.state(provider)).checks["face_match"]
    assert face["status"] == "failed"
    assert "did not answer in time" in face["reason"]
    assert face["attempts"] == 1

    retry_at = NOW + timedelta(minutes=15)
    await kit.submit_identity(provider, name="王小明", now=retry_at)
    assert (await kit.state(provider)).checks["face_match"]["status"] == "pending"
    kit.clock.set(retry_at + timedelta(seconds=3))
    await poll_vendor_checks(
        kit.tenant, kit.tenant_id, [kit.verifier], now=retry_at + timedelta(seconds=3)
    )

    checks = (await kit.state(provider)).checks
    assert checks["face_match"]["status"] == "passed"
    assert checks["face_match"]["attempts"] == 2
    assert checks["real_name"]["attempts"] == 2


async def test_the_kit_stores_no_face_image_only_the_vendors_result(wanjia_kit: Kit):
    token = "LIVENESS-c2VsZmllLWZyYW1lcy0wMDE"
    provider = await wanjia_kit.provider(CLEANING)

    await wanjia_kit.identity(provider, liveness_token=token)

    record = (await wanjia_kit.rows(IdentityRecord, provider=provider))[0]
    opened = {
        "number_enc": privacy.unseal(
            record["number_enc"], field="identity.number", tenant_id=wanjia_kit.tenant_id
        ),
        "real_name_enc": privacy.unseal(
            record["real_name_enc"], field="identity.real_name", tenant_id=wanjia_kit.tenant_id
        ),
        "address_enc": privacy.unseal(
            record["address_enc"], field="identity.address", tenant_id=wanjia_kit.tenant_id
        ),
    }
    assert opened["real_name_enc"] == "王小明"
    stored = [
        *[str(v) for v in record.values()],
        *opened.values(),
        *[str(v) for row in await wanjia_kit.rows(IdentityCheck) for v in row.values()],
    ]
    assert not [value for value in stored if token in value]
    columns = {c._meta.name for t in (IdentityRecord, IdentityCheck) for c in t._meta.columns}
    assert not {c for c in columns if any(w in c for w in ("face", "image", "photo", "token"))}
    checks = (await wanjia_kit.state(provider)).checks
    assert checks["face_match"]["status"] == "passed"
