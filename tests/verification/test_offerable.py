"""A provider is offerable for an item only when every check that item requires has passed
and is valid: the police filing for lock jobs, the licence for electrical work, the
no-criminal-record certificate for minors, the vertical's course, an active profile."""

from __future__ import annotations

import msgspec
import pytest

from core.providers.service import set_status
from core.tenancy.model import Tenant
from core.verification.approval import review_provider, submit_for_review
from tests.verification.conftest import Kit

pytestmark = pytest.mark.db

SOCKET = "repair.socket_switch"
DRAIN = "repair.drain_unclog"
MATH = "tutoring.math"
CLEANING = "housekeeping.home_cleaning"
MINOR = {"minor_student": True}
ADULT = {"minor_student": False}


def lock_jobs(kit: Kit) -> list[str]:
    refs = [item.ref for item in kit.catalog.items if item.vertical == "locksmith"]
    assert len(refs) >= 5
    return refs


def without_training(tenant: Tenant) -> Tenant:
    """The tenant with ``training_required: false`` in its YAML."""
    policies = tenant.config.policies
    providers = msgspec.structs.replace(policies.providers, training_required=False)
    config = msgspec.structs.replace(
        tenant.config, policies=msgspec.structs.replace(policies, providers=providers)
    )
    return Tenant(config, tenant.source, tenant.theme, tenant.vertical_configs)


async def test_a_locksmith_without_a_police_filing_is_never_offerable_for_a_lock_job(
    wanjia_kit: Kit,
):
    jobs = lock_jobs(wanjia_kit)
    locksmith = await wanjia_kit.verified(jobs, without={"police_filing"})

    for job in jobs:
        found = await wanjia_kit.offerable(locksmith, job)
        assert (job, found.ok, found.missing) == (job, False, ["check:police_filing"])


@pytest.mark.parametrize("review", [None, False], ids=["filing pending", "filing rejected"])
async def test_a_locksmith_whose_filing_has_not_passed_is_not_offerable(
    wanjia_kit: Kit, review: bool | None
):
    jobs = lock_jobs(wanjia_kit)
    locksmith = await wanjia_kit.verified(jobs, without={"police_filing"})
    await wanjia_kit.filing(locksmith, review=review)

    for job in jobs:
        found = await wanjia_kit.offerable(locksmith, job)
        assert (job, found.missing) == (job, ["check:police_filing"])


async def test_a_locksmith_is_offerable_for_every_lock_job_once_the_filing_is_approved(
    wanjia_kit: Kit,
):
    jobs = lock_jobs(wanjia_kit)
    locksmith = await wanjia_kit.verified(jobs, without={"police_filing"})
    await wanjia_kit.filing(locksmith, review=None)

    await wanjia_kit.filing(locksmith, review=True)

    for job in jobs:
        found = await wanjia_kit.offerable(locksmith, job)
        assert (job, found.ok, found.missing) == (job, True, [])


async def test_a_resubmitted_filing_is_not_offerable_until_reviewed_again(wanjia_kit: Kit):
    locksmith = await wanjia_kit.verified(["locksmith.door_unlock"])
    assert (await wanjia_kit.offerable(locksmith, "locksmith.door_unlock")).ok

    await wanjia_kit.filing(locksmith, review=None)

    found = await wanjia_kit.offerable(locksmith, "locksmith.door_unlock")
    assert found.missing == ["check:police_filing"]


async def test_an_electrician_without_a_licence_is_offerable_for_drains_not_sockets(
    wanjia_kit: Kit,
):
    fixer = await wanjia_kit.verified([SOCKET, DRAIN], without={"electrician_licence"})

    socket = await wanjia_kit.offerable(fixer, SOCKET)
    drain = await wanjia_kit.offerable(fixer, DRAIN)

    assert (socket.ok, socket.missing) == (False, ["certificate:electrician_licence"])
    assert (drain.ok, drain.missing) == (True, [])


async def test_an_electrician_with_a_licence_is_offerable_for_sockets(wanjia_kit: Kit):
    fixer = await wanjia_kit.verified([SOCKET, DRAIN])

    assert (await wanjia_kit.offerable(fixer, SOCKET)).ok


async def test_a_tutor_without_a_no_criminal_record_certificate_teaches_adults_only(
    wanjia_kit: Kit,
):
    tutor = await wanjia_kit.verified([MATH], without={"no_criminal_record"})

    minor = await wanjia_kit.offerable(tutor, MATH, context=MINOR)
    adult = await wanjia_kit.offerable(tutor, MATH, context=ADULT)
    unknown = await wanjia_kit.offerable(tutor, MATH)

    assert (minor.ok, minor.missing) == (False, ["certificate:no_criminal_record"])
    assert (adult.ok, adult.missing) == (True, [])
    assert unknown.missing == ["certificate:no_criminal_record"]


async def test_a_tutor_with_the_certificate_teaches_minors(wanjia_kit: Kit):
    tutor = await wanjia_kit.verified([MATH])

    assert (await wanjia_kit.offerable(tutor, MATH, context=MINOR)).ok


async def test_a_provider_is_not_offerable_until_the_verticals_course_is_passed(
    wanjia_kit: Kit,
):
    cleaner = await wanjia_kit.verified([CLEANING], without={"training"})

    before = await wanjia_kit.offerable(cleaner, CLEANING)
    assert (before.ok, before.missing) == (False, ["training:housekeeping.service_basics"])

    assert await wanjia_kit.course(cleaner, "housekeeping", right=False) is False
    assert not (await wanjia_kit.offerable(cleaner, CLEANING)).ok

    assert await wanjia_kit.course(cleaner, "housekeeping") is True
    assert (await wanjia_kit.offerable(cleaner, CLEANING)).ok


async def test_a_tenant_that_turns_training_off_offers_providers_without_the_course(
    wanjia_kit: Kit,
):
    cleaner = await wanjia_kit.verified([CLEANING], without={"training"})

    found = await wanjia_kit.offerable(
        cleaner, CLEANING, tenant=without_training(wanjia_kit.tenant)
    )

    assert (found.ok, found.missing) == (True, [])


async def test_a_provider_waiting_for_review_is_not_offerable(wanjia_kit: Kit):
    cleaner = await wanjia_kit.provider([CLEANING])
    await wanjia_kit.identity(cleaner)
    for code in ("health_certificate", "housekeeping_training"):
        await wanjia_kit.certificate(cleaner, code)
    await wanjia_kit.course(cleaner, "housekeeping")
    await submit_for_review(wanjia_kit.tenant_id, cleaner)

    found = await wanjia_kit.offerable(cleaner, CLEANING)
    assert found.missing == ["status:pending_review"]

    await review_provider(wanjia_kit.tenant_id, cleaner, approve=False, reason="资料不全")
    assert (await wanjia_kit.offerable(cleaner, CLEANING)).missing == ["status:rejected"]


async def test_a_suspended_provider_is_not_offerable(wanjia_kit: Kit):
    cleaner = await wanjia_kit.verified([CLEANING])

    await set_status(cleaner, wanjia_kit.tenant_id, "suspended", "投诉调查中")

    assert (await wanjia_kit.offerable(cleaner, CLEANING)).missing == ["status:suspended"]


async def test_an_item_the_provider_did_not_choose_is_not_offerable(wanjia_kit: Kit):
    cleaner = await wanjia_kit.verified([CLEANING])

    found = await wanjia_kit.offerable(cleaner, "housekeeping.kitchen_cleaning")

    assert found.missing == ["skill"]
