"""Certificates and the locksmith's police filing: submitted by the provider, reviewed by an
admin who gives a reason to reject, reviewed once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.verification.proofs import review_certificate, review_police_filing, submit_certificate
from core.verification.service import VerificationError
from core.verification.tables import Certificate, IdentityCheck
from tests.verification.conftest import ADMIN, NOW, Kit

pytestmark = pytest.mark.db

CLEANING = "housekeeping.home_cleaning"
LOCK = "locksmith.door_unlock"


async def test_an_expired_certificate_is_refused_at_submission(wanjia_kit: Kit):
    provider = await wanjia_kit.provider([CLEANING])

    with pytest.raises(VerificationError) as refused:
        await submit_certificate(
            wanjia_kit.tenant_id,
            provider,
            kind="health_certificate",
            number="JK-2024-0001",
            issuer="杭州市卫生健康委员会",
            valid_from=date(2024, 1, 1),
            valid_until=NOW.date() - timedelta(days=1),
            today=NOW.date(),
        )

    assert refused.value.field == "valid_until"
    assert refused.value.reason == "this certificate has expired"
    assert await wanjia_kit.rows(Certificate) == []


async def test_a_certificate_valid_today_is_accepted_for_review(wanjia_kit: Kit):
    provider = await wanjia_kit.provider([CLEANING])

    cert = await wanjia_kit.certificate(
        provider, "health_certificate", valid_until=NOW.date(), approve=False
    )

    rows = await wanjia_kit.rows(Certificate, id=cert)
    assert [r["status"] for r in rows] == ["pending"]


async def test_a_rejection_needs_a_reason_and_is_recorded_with_it(wanjia_kit: Kit):
    provider = await wanjia_kit.provider([CLEANING])
    cert = await wanjia_kit.certificate(provider, "health_certificate", approve=False)

    with pytest.raises(VerificationError) as refused:
        await review_certificate(
            wanjia_kit.tenant_id, cert, approve=False, reason="  ", reviewer_id=ADMIN, now=NOW
        )
    assert refused.value.field == "reason"
    assert (await wanjia_kit.rows(Certificate, id=cert))[0]["status"] == "pending"

    await review_certificate(
        wanjia_kit.tenant_id, cert, approve=False, reason="照片模糊", reviewer_id=ADMIN, now=NOW
    )

    row = (await wanjia_kit.rows(Certificate, id=cert))[0]
    assert (row["status"], row["reason"]) == ("rejected", "照片模糊")


async def test_an_approval_needs_no_reason(wanjia_kit: Kit):
    provider = await wanjia_kit.provider([CLEANING])
    cert = await wanjia_kit.certificate(provider, "health_certificate", approve=False)

    await review_certificate(
        wanjia_kit.tenant_id, cert, approve=True, reason="", reviewer_id=ADMIN, now=NOW
    )

    row = (await wanjia_kit.rows(Certificate, id=cert))[0]
    assert row["status"] == "approved"
    assert str(row["reviewed_by"]) == ADMIN


@pytest.mark.parametrize("first", [True, False], ids=["after approval", "after rejection"])
async def test_a_certificate_is_reviewed_once(wanjia_kit: Kit, first: bool):
    provider = await wanjia_kit.provider([CLEANING])
    cert = await wanjia_kit.certificate(provider, "health_certificate", approve=False)
    await review_certificate(
        wanjia_kit.tenant_id, cert, approve=first, reason="照片模糊", reviewer_id=ADMIN, now=NOW
    )

    with pytest.raises(VerificationError) as refused:
        await review_certificate(
            wanjia_kit.tenant_id, cert, approve=not first, reason="改判", reviewer_id=ADMIN, now=NOW
        )

    assert refused.value.field == "status"
    expected = "approved" if first else "rejected"
    assert (await wanjia_kit.rows(Certificate, id=cert))[0]["status"] == expected


async def test_a_certificate_that_expired_while_waiting_cannot_be_approved(wanjia_kit: Kit):
    provider = await wanjia_kit.provider([CLEANING])
    cert = await wanjia_kit.certificate(
        provider, "health_certificate", valid_until=date(2026, 3, 20), approve=False
    )

    with pytest.raises(VerificationError) as refused:
        await review_certificate(
            wanjia_kit.tenant_id,
            cert,
            approve=True,
            reason="",
            reviewer_id=ADMIN,
            now=NOW + timedelta(days=11),
        )

    assert refused.value.field == "valid_until"
    assert (await wanjia_kit.rows(Certificate, id=cert))[0]["status"] == "pending"


async def test_a_police_filing_cannot_be_approved_before_it_is_submitted(wanjia_kit: Kit):
    provider = await wanjia_kit.provider([LOCK])

    with pytest.raises(VerificationError) as refused:
        await review_police_filing(
            wanjia_kit.tenant, wanjia_kit.tenant_id, provider, approve=True, reason="", now=NOW
        )

    assert refused.value.field == "police_filing"
    assert await wanjia_kit.rows(IdentityCheck, provider=provider) == []


async def test_a_police_filing_rejection_needs_a_reason_and_is_reviewed_once(wanjia_kit: Kit):
    provider = await wanjia_kit.provider([LOCK])
    await wanjia_kit.filing(provider, review=None)

    with pytest.raises(VerificationError) as no_reason:
        await review_police_filing(
            wanjia_kit.tenant, wanjia_kit.tenant_id, provider, approve=False, reason="", now=NOW
        )
    assert no_reason.value.field == "reason"

    await review_police_filing(
        wanjia_kit.tenant, wanjia_kit.tenant_id, provider, approve=False, reason="查无此号", now=NOW
    )
    with pytest.raises(VerificationError) as twice:
        await review_police_filing(
            wanjia_kit.tenant, wanjia_kit.tenant_id, provider, approve=True, reason="", now=NOW
        )

    assert twice.value.field == "status"
    filing = (await wanjia_kit.state(provider)).checks["police_filing"]
    assert (filing["status"], filing["reason"]) == ("failed", "查无此号")
