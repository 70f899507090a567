"""Periodic re-verification, in frozen time: certificate reminders 30, 7 and 1 days before,
suspension from exactly the affected items at expiry, lifted by a new approved certificate;
identity checks expire after the tenant's period."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pytest

from core.tenancy.model import Tenant
from core.verification.jobs import run_certificate_expiry, run_identity_recheck
from core.verification.tables import Certificate
from tests.verification.conftest import NOW, Kit

pytestmark = pytest.mark.db

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXPIRES = date(2026, 12, 1)
CLEANING = "housekeeping.home_cleaning"
ORGANISING = "housekeeping.organising"
"""Its taxonomy lists only the training certificate; the housekeeping plugin adds the health
certificate to every housekeeping item."""
DRAIN = "repair.drain_unclog"
SOCKET = "repair.socket_switch"
LIGHT = "repair.light_install"


def days_before(days: int, hour: int = 10, minute: int = 0) -> datetime:
    """``days`` before the expiry date at ``hour:minute`` in Shanghai, as UTC."""
    local = datetime.combine(EXPIRES - timedelta(days=days), time(hour, minute), SHANGHAI)
    return local.astimezone(UTC)


DAY_AFTER = days_before(-1)


class Notices:
    """The jobs' ``notify``, recording what each provider was told."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def __call__(self, provider: str, event: str, params: dict[str, str]) -> None:
        self.sent.append((event, params.get("kind", ""), params.get("days_left", "")))

    def take(self) -> list[tuple[str, str, str]]:
        found, self.sent = self.sent, []
        return found


async def expiry(kit: Kit, now: datetime, notices: Notices) -> dict[str, int]:
    return await run_certificate_expiry(
        kit.plugins, kit.tenant, kit.tenant_id, kit.catalog, now, notices
    )


async def cleaner_and_plumber(kit: Kit, valid_until: date = EXPIRES) -> str:
    """Cleans homes and unblocks drains; the health certificate runs to ``valid_until``."""
    provider = await kit.verified([CLEANING, ORGANISING, DRAIN], without={"health_certificate"})
    await kit.certificate(provider, "health_certificate", valid_until=valid_until)
    return provider


def with_recheck_days(tenant: Tenant, days: int) -> Tenant:
    policies = tenant.config.policies
    providers = msgspec.structs.replace(policies.providers, identity_recheck_days=days)
    config = msgspec.structs.replace(
        tenant.config, policies=msgspec.structs.replace(policies, providers=providers)
    )
    return Tenant(config, tenant.source, tenant.theme, tenant.vertical_configs)


async def test_reminders_go_out_30_7_and_1_days_before_each_once(wanjia_kit: Kit):
    provider = await cleaner_and_plumber(wanjia_kit)
    notices = Notices()
    told = {}

    for days in range(40, -1, -1):
        for _ in range(2):  # the worker runs twice a day: nothing is sent twice
            await expiry(wanjia_kit, days_before(days), notices)
        if sent := notices.take():
            told[days] = sent

    assert told == {
        30: [("certificate_expiring", "health_certificate", "30")],
        7: [("certificate_expiring", "health_certificate", "7")],
        1: [("certificate_expiring", "health_certificate", "1")],
    }
    assert (await wanjia_kit.offerable(provider, CLEANING, on=days_before(0, 23, 59))).ok


async def test_expiry_suspends_the_provider_from_exactly_the_items_needing_it(wanjia_kit: Kit):
    provider = await cleaner_and_plumber(wanjia_kit)
    notices = Notices()

    assert await expiry(wanjia_kit, days_before(31), notices) == {
        "reminded": 0,
        "expired": 0,
        "suspended_items": 0,
    }
    assert notices.take() == []
    await expiry(wanjia_kit, days_before(8), notices)
    assert notices.take() == [("certificate_expiring", "health_certificate", "8")]
    await expiry(wanjia_kit, days_before(2), notices)
    assert notices.take() == [("certificate_expiring", "health_certificate", "2")]
    assert (await wanjia_kit.offerable(provider, CLEANING, on=days_before(2))).ok

    report = await expiry(wanjia_kit, DAY_AFTER, notices)

    assert report == {"reminded": 0, "expired": 1, "suspended_items": 2}
    assert notices.take() == [("certificate_expired", "health_certificate", "0")]
    certs = await wanjia_kit.rows(Certificate, kind="health_certificate")
    assert [c["status"] for c in certs] == ["expired"]
    for item in (CLEANING, ORGANISING):
        found = await wanjia_kit.offerable(provider, item, on=DAY_AFTER)
        assert not found.ok
        assert "suspended:expired:health_certificate" in found.missing
    assert (await wanjia_kit.offerable(provider, DRAIN, on=DAY_AFTER)).ok

    again = await expiry(wanjia_kit, DAY_AFTER + timedelta(hours=6), notices)

    assert again == {"reminded": 0, "expired": 0, "suspended_items": 0}
    assert notices.take() == []


async def test_a_licence_lapsing_suspends_the_electrical_items_only(wanjia_kit: Kit):
    fixer = await wanjia_kit.verified([SOCKET, LIGHT, DRAIN], without={"electrician_licence"})
    await wanjia_kit.certificate(fixer, "electrician_licence", valid_until=EXPIRES)

    report = await expiry(wanjia_kit, DAY_AFTER, Notices())

    assert report["suspended_items"] == 2
    assert not (await wanjia_kit.offerable(fixer, SOCKET, on=DAY_AFTER)).ok
    assert not (await wanjia_kit.offerable(fixer, LIGHT, on=DAY_AFTER)).ok
    assert (await wanjia_kit.offerable(fixer, DRAIN, on=DAY_AFTER)).ok


async def test_a_certificate_runs_to_the_end_of_its_last_day_in_shanghai(wanjia_kit: Kit):
    provider = await cleaner_and_plumber(wanjia_kit)
    last_minute = days_before(0, 23, 59)
    first_minute_after = days_before(-1, 0, 1)
    assert last_minute.date() == first_minute_after.date() == EXPIRES  # one UTC day

    assert (await wanjia_kit.offerable(provider, CLEANING, on=last_minute)).ok
    assert (await expiry(wanjia_kit, last_minute, Notices()))["expired"] == 0

    assert not (await wanjia_kit.offerable(provider, CLEANING, on=first_minute_after)).ok
    assert (await expiry(wanjia_kit, first_minute_after, Notices()))["expired"] == 1


async def test_a_new_approved_certificate_lifts_the_suspension(wanjia_kit: Kit):
    provider = await cleaner_and_plumber(wanjia_kit)
    await expiry(wanjia_kit, DAY_AFTER, Notices())
    assert not (await wanjia_kit.offerable(provider, CLEANING, on=DAY_AFTER)).ok

    await wanjia_kit.certificate(
        provider, "health_certificate", valid_until=date(2027, 12, 1), now=DAY_AFTER
    )

    for item in (CLEANING, ORGANISING, DRAIN):
        found = await wanjia_kit.offerable(provider, item, on=DAY_AFTER)
        assert (item, found.ok) == (item, True)
    state = await wanjia_kit.state(provider)
    assert not [s for s in state.skills.values() if s["suspended"]]


async def test_a_certificate_renewed_in_time_neither_reminds_nor_suspends(wanjia_kit: Kit):
    provider = await cleaner_and_plumber(wanjia_kit)
    notices = Notices()
    await expiry(wanjia_kit, days_before(30), notices)
    assert len(notices.take()) == 1

    await wanjia_kit.certificate(
        provider, "health_certificate", valid_until=date(2027, 12, 1), now=days_before(20)
    )
    for days in (7, 1, -1):
        await expiry(wanjia_kit, days_before(days), notices)

    assert notices.take() == []
    for item in (CLEANING, ORGANISING):
        assert (await wanjia_kit.offerable(provider, item, on=DAY_AFTER)).ok


async def test_two_lapsed_certificates_need_two_renewals(wanjia_kit: Kit):
    cleaner = await wanjia_kit.verified(
        [CLEANING], without={"health_certificate", "housekeeping_training"}
    )
    for kind in ("health_certificate", "housekeeping_training"):
        await wanjia_kit.certificate(cleaner, kind, valid_until=EXPIRES)
    await expiry(wanjia_kit, DAY_AFTER, Notices())

    await wanjia_kit.certificate(
        cleaner, "health_certificate", valid_until=date(2027, 12, 1), now=DAY_AFTER
    )

    found = await wanjia_kit.offerable(cleaner, CLEANING, on=DAY_AFTER)
    assert found.missing == [
        "suspended:expired:housekeeping_training",
        "certificate:housekeeping_training",
    ]

    await wanjia_kit.certificate(
        cleaner, "housekeeping_training", valid_until=date(2027, 12, 1), now=DAY_AFTER
    )

    assert (await wanjia_kit.offerable(cleaner, CLEANING, on=DAY_AFTER)).ok


async def test_a_tutors_lapsed_no_criminal_record_keeps_the_adult_pupils(wanjia_kit: Kit):
    tutor = await wanjia_kit.verified(["tutoring.math"], without={"no_criminal_record"})
    await wanjia_kit.certificate(tutor, "no_criminal_record", valid_until=EXPIRES)

    report = await expiry(wanjia_kit, DAY_AFTER, Notices())

    assert report == {"reminded": 0, "expired": 1, "suspended_items": 0}
    adult = await wanjia_kit.offerable(
        tutor, "tutoring.math", on=DAY_AFTER, context={"minor_student": False}
    )
    minor = await wanjia_kit.offerable(
        tutor, "tutoring.math", on=DAY_AFTER, context={"minor_student": True}
    )
    assert adult.ok
    assert minor.missing == ["certificate:no_criminal_record"]


async def test_identity_is_rechecked_after_the_tenants_period(wanjia_kit: Kit):
    kit = dataclasses.replace(wanjia_kit, tenant=with_recheck_days(wanjia_kit.tenant, 30))
    provider = await kit.verified([CLEANING])
    notices = Notices()

    before = await run_identity_recheck(kit.tenant_id, NOW + timedelta(days=29), notices)
    assert before == {"expired_checks": 0, "providers": 0}
    assert (await kit.offerable(provider, CLEANING, on=NOW + timedelta(days=29))).ok

    due = NOW + timedelta(days=30, minutes=1)
    report = await run_identity_recheck(kit.tenant_id, due, notices)

    assert report == {"expired_checks": 5, "providers": 1}
    assert notices.take() == [("identity_recheck_due", "", "")]
    found = await kit.offerable(provider, CLEANING, on=due)
    assert not found.ok
    assert {"check:id_number", "check:real_name", "check:face_match"} <= set(found.missing)
    statuses = {k: c["status"] for k, c in (await kit.state(provider)).checks.items()}
    assert set(statuses.values()) == {"expired"}

    assert await run_identity_recheck(kit.tenant_id, due, notices) == {
        "expired_checks": 0,
        "providers": 0,
    }
    assert notices.take() == []

    await kit.identity(provider, name="王小明", now=due + timedelta(hours=1))

    assert (await kit.offerable(provider, CLEANING, on=due + timedelta(hours=2))).ok


async def test_a_locksmiths_police_filing_is_rechecked_on_the_same_period(wanjia_kit: Kit):
    kit = dataclasses.replace(wanjia_kit, tenant=with_recheck_days(wanjia_kit.tenant, 30))
    locksmith = await kit.verified(["locksmith.door_unlock"])
    notices = Notices()
    due = NOW + timedelta(days=31)

    await run_identity_recheck(kit.tenant_id, due, notices)

    assert sorted(notices.take()) == [
        ("identity_recheck_due", "", ""),
        ("police_filing_recheck_due", "", ""),
    ]
    await kit.identity(locksmith, now=due)
    found = await kit.offerable(locksmith, "locksmith.door_unlock", on=due)
    assert found.missing == ["check:police_filing"]
