"""The worker's pass: vendor results, certificate reminders and expiry, identity re-checks, each
provider told in their own language through the tenant's channels; run twice, nothing twice."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.privacy.masking import mask_phone
from core.worker import run_pass
from tests.verification.conftest import NOW, Kit

pytestmark = pytest.mark.db

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXPIRES = date(2026, 12, 1)
CLEANING = "housekeeping.home_cleaning"
DRAIN = "repair.drain_unclog"
QUIET = {
    "vendor_passed": 0,
    "vendor_failed": 0,
    "vendor_timed_out": 0,
    "certificates_reminded": 0,
    "certificates_expired": 0,
    "items_suspended": 0,
    "identity_checks_expired": 0,
    "notices_sent": 0,
    # The urgent-offer job runs in the same pass and reports its own counts.
    "offers_expired": 0,
    "urgent_reoffered": 0,
    "urgent_unanswered": 0,
}


def days_before(days: int) -> datetime:
    return datetime.combine(EXPIRES - timedelta(days=days), time(10), SHANGHAI).astimezone(UTC)


class Console:
    """What the console channel printed (demo mode shows the text, the number masked)."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog

    def take(self) -> list[str]:
        lines = [
            r.getMessage()
            for r in self.caplog.records
            if r.name == "doorstep.notifications" and r.getMessage().startswith("[console] to ")
        ]
        self.caplog.clear()
        return sorted(line.removeprefix("[console] to ") for line in lines)


@pytest.fixture
def console(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Iterator[Console]:
    monkeypatch.setenv("DOORSTEP_DEMO", "1")
    caplog.set_level(logging.INFO, logger="doorstep.notifications")
    yield Console(caplog)


async def worker(settings, tenants, plugins, now: datetime) -> dict[str, int]:  # type: ignore[no-untyped-def]
    report = await run_pass(settings, tenants, plugins, now=now)
    assert report.pop("tenants_registered") == 0
    return report


async def two_cleaners(kit: Kit) -> tuple[str, str]:
    """王 reads Chinese, Li English; both health certificates run to 1 December."""
    wang = await kit.verified([CLEANING, DRAIN], without={"health_certificate"})
    li = await kit.verified(
        [CLEANING, DRAIN], without={"health_certificate"}, name="Li Lei", locale="en"
    )
    for provider in (wang, li):
        await kit.certificate(provider, "health_certificate", valid_until=EXPIRES)
    return wang, li


async def test_the_worker_reminds_in_each_providers_language_once(
    wanjia_kit: Kit, settings, tenants, plugins, console: Console
):
    wang, li = await two_cleaners(wanjia_kit)
    to_wang = mask_phone(wanjia_kit.phones[wang])
    to_li = mask_phone(wanjia_kit.phones[li])

    first = await worker(settings, tenants, plugins, days_before(30))

    assert first == {**QUIET, "certificates_reminded": 2, "notices_sent": 2}
    assert console.take() == sorted(
        [
            f"{to_wang}: 【万家帮】您的健康证将于 2026-12-01 到期，请及时更新",
            f"{to_li}: [Wanjia Help] Your health certificate expires on 2026-12-01: "
            "please renew it in time.",
        ]
    )

    again = await worker(settings, tenants, plugins, days_before(30) + timedelta(hours=8))

    assert again == QUIET
    assert console.take() == []


async def test_the_worker_suspends_at_expiry_once_and_says_so(
    wanjia_kit: Kit, settings, tenants, plugins, console: Console
):
    wang, li = await two_cleaners(wanjia_kit)
    after = days_before(-1)

    first = await worker(settings, tenants, plugins, after)

    assert first == {
        **QUIET,
        "certificates_expired": 2,
        "items_suspended": 2,
        "notices_sent": 2,
    }
    assert console.take() == sorted(
        [
            f"{mask_phone(wanjia_kit.phones[wang])}: 【万家帮】您的健康证已于 2026-12-01 到期，"
            "需要该证书的服务已暂停接单，上传新证书并通过审核后恢复",
            f"{mask_phone(wanjia_kit.phones[li])}: [Wanjia Help] Your health certificate "
            "expired on 2026-12-01: the services that need it are paused until a new one is "
            "uploaded and approved.",
        ]
    )
    for provider in (wang, li):
        assert not (await wanjia_kit.offerable(provider, CLEANING, on=after)).ok
        assert (await wanjia_kit.offerable(provider, DRAIN, on=after)).ok

    again = await worker(settings, tenants, plugins, after + timedelta(hours=1))

    assert again == QUIET
    assert console.take() == []


async def test_the_worker_times_out_a_silent_vendor_and_tells_the_provider(
    wanjia_kit: Kit, settings, tenants, plugins, console: Console
):
    provider = await wanjia_kit.provider([CLEANING], name="王超时")
    await wanjia_kit.submit_identity(provider, name="王超时", now=NOW)

    waiting = await worker(settings, tenants, plugins, NOW + timedelta(minutes=5))
    late = await worker(settings, tenants, plugins, NOW + timedelta(minutes=11))
    again = await worker(settings, tenants, plugins, NOW + timedelta(minutes=12))

    assert waiting == QUIET
    assert late == {**QUIET, "vendor_timed_out": 2, "notices_sent": 1}
    assert again == QUIET
    assert console.take() == [
        f"{mask_phone(wanjia_kit.phones[provider])}: "
        "【万家帮】核验服务暂时没有响应，请重新提交实名和人脸核验"
    ]


async def test_the_worker_expires_identity_after_the_tenants_period_once(
    wanjia_kit: Kit, settings, tenants, plugins, console: Console
):
    provider = await wanjia_kit.verified([DRAIN])
    year_later = NOW + timedelta(days=366)

    first = await worker(settings, tenants, plugins, year_later)
    again = await worker(settings, tenants, plugins, year_later + timedelta(hours=1))

    assert first == {**QUIET, "identity_checks_expired": 5, "notices_sent": 1}
    assert again == QUIET
    assert console.take() == [
        f"{mask_phone(wanjia_kit.phones[provider])}: "
        "【万家帮】您的身份核验已到期，请重新完成实名和人脸核验"
    ]
    assert not (await wanjia_kit.offerable(provider, DRAIN, on=year_later)).ok
