"""The door trust code (安心码): a five-minute signed code for this tenant, and the verdict the
customer sees, which turns yellow or red when a certificate lapses."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.providers.service import set_status
from core.verification import trust
from core.verification.jobs import run_certificate_expiry, run_identity_recheck
from tests.providers.conftest import booking_for
from tests.verification.conftest import NOW, Kit

SHANGHAI = ZoneInfo("Asia/Shanghai")
TENANT = "2f1a4f0e-5a55-4d7c-9a4c-0c3c1f7c9b01"
OTHER_TENANT = "7b9e2d44-0d3a-4a0c-8a57-3f4f2e6b1c02"
PROVIDER = "c0a8a0f2-1111-4222-8333-944455556666"
BOOKING = "b00c1e2d-7777-4888-9999-aaaabbbbcccc"
B64 = string.ascii_letters + string.digits + "-_"


@pytest.fixture
def keys(settings):  # type: ignore[no-untyped-def]
    from core.privacy import service as privacy

    privacy.configure(settings)


def test_a_fresh_code_names_the_provider_and_the_booking(keys):
    code = trust.issue(TENANT, PROVIDER, BOOKING, NOW)

    read = trust.read(code, NOW + timedelta(minutes=4, seconds=59), tenant_id=TENANT)

    assert read == trust.TrustCode(TENANT, PROVIDER, BOOKING)


@pytest.mark.parametrize("booking", [BOOKING, "", "DS20260310001"])
def test_a_code_altered_by_one_character_is_rejected(keys, booking: str):
    """Every character, the last one too (base64 leaves some of its bits unused)."""
    code = trust.issue(TENANT, PROVIDER, booking, NOW)
    assert trust.read(code, NOW, tenant_id=TENANT).booking_id == booking

    for at, char in enumerate(code):
        altered = code[:at] + B64[(B64.index(char) + 1) % len(B64)] + code[at + 1 :]
        with pytest.raises(trust.TrustCodeError):
            trust.read(altered, NOW, tenant_id=TENANT)


def test_a_code_signed_for_another_tenant_is_rejected(keys):
    code = trust.issue(OTHER_TENANT, PROVIDER, BOOKING, NOW)

    with pytest.raises(trust.TrustCodeError, match="another platform"):
        trust.read(code, NOW, tenant_id=TENANT)


def test_a_code_older_than_five_minutes_is_rejected(keys):
    code = trust.issue(TENANT, PROVIDER, BOOKING, NOW)

    assert trust.read(code, NOW + timedelta(minutes=5), tenant_id=TENANT).profile_id == PROVIDER
    with pytest.raises(trust.TrustCodeError, match="expired"):
        trust.read(code, NOW + timedelta(minutes=5, seconds=1), tenant_id=TENANT)


def test_a_forged_code_is_rejected(keys):
    for forged in ("", "not-a-code", trust.issue(TENANT, PROVIDER, BOOKING, NOW)[:-4]):
        with pytest.raises(trust.TrustCodeError):
            trust.read(forged, NOW, tenant_id=TENANT)


def test_the_code_is_shown_as_an_inline_qr_image():
    svg = trust.qr_svg("https://wanjia.localhost/trust/abc")

    assert svg.startswith("<svg") and "</svg>" in svg


# --- the verdict ------------------------------------------------------------------------------

EXPIRES = date(2026, 12, 1)
CLEANING = "housekeeping.home_cleaning"
DRAIN = "repair.drain_unclog"


def days_before(days: int, hour: int = 10) -> datetime:
    local = datetime.combine(EXPIRES - timedelta(days=days), time(hour), SHANGHAI)
    return local.astimezone(UTC)


async def ignore(provider: str, event: str, params: dict[str, str]) -> None:
    return None


async def colour(kit: Kit, provider: str, now: datetime) -> trust.Verdict:
    return await trust.provider_verdict(kit.tenant, kit.tenant_id, provider, now)


async def lapse(kit: Kit, now: datetime) -> None:
    await run_certificate_expiry(kit.plugins, kit.tenant, kit.tenant_id, kit.catalog, now, ignore)


async def cleaner_and_plumber(kit: Kit) -> str:
    provider = await kit.verified([CLEANING, DRAIN], without={"health_certificate"})
    await kit.certificate(provider, "health_certificate", valid_until=EXPIRES)
    return provider


@pytest.mark.db
async def test_the_verdict_is_green_while_every_check_is_valid(wanjia_kit: Kit):
    provider = await cleaner_and_plumber(wanjia_kit)

    found = await colour(wanjia_kit, provider, days_before(8))

    assert (found.colour, found.reasons) == ("green", [])


@pytest.mark.db
async def test_the_verdict_turns_yellow_when_a_certificate_expires_within_seven_days(
    wanjia_kit: Kit,
):
    provider = await cleaner_and_plumber(wanjia_kit)

    found = await colour(wanjia_kit, provider, days_before(7))

    assert (found.colour, found.reasons) == (
        "yellow",
        ["certificate_expiring:health_certificate"],
    )


@pytest.mark.db
async def test_the_verdict_turns_yellow_when_a_certificate_lapses_and_an_item_is_suspended(
    wanjia_kit: Kit,
):
    provider = await cleaner_and_plumber(wanjia_kit)
    after = days_before(-1)

    unmarked = await colour(wanjia_kit, provider, after)  # before the worker's pass
    await lapse(wanjia_kit, after)
    marked = await colour(wanjia_kit, provider, after)

    assert unmarked.colour == "yellow"
    assert "certificate_expired:health_certificate" in unmarked.reasons
    assert (marked.colour, sorted(marked.reasons)) == (
        "yellow",
        ["certificate_expired:health_certificate", "item_suspended"],
    )


@pytest.mark.db
async def test_the_verdict_turns_red_when_every_item_is_suspended(wanjia_kit: Kit):
    cleaner = await wanjia_kit.verified([CLEANING], without={"health_certificate"})
    await wanjia_kit.certificate(cleaner, "health_certificate", valid_until=EXPIRES)
    await lapse(wanjia_kit, days_before(-1))

    found = await colour(wanjia_kit, cleaner, days_before(-1))

    assert found.colour == "red"
    assert "all_items_suspended" in found.reasons


@pytest.mark.db
async def test_the_verdict_is_green_again_once_the_certificate_is_renewed(wanjia_kit: Kit):
    provider = await cleaner_and_plumber(wanjia_kit)
    after = days_before(-1)
    await lapse(wanjia_kit, after)

    await wanjia_kit.certificate(
        provider, "health_certificate", valid_until=date(2027, 12, 1), now=after
    )

    assert (await colour(wanjia_kit, provider, after)).colour == "green"


@pytest.mark.db
async def test_the_verdict_is_red_for_a_suspended_provider(wanjia_kit: Kit):
    provider = await cleaner_and_plumber(wanjia_kit)

    await set_status(provider, wanjia_kit.tenant_id, "suspended", "投诉调查中")

    found = await colour(wanjia_kit, provider, days_before(100))
    assert (found.colour, found.reasons) == ("red", ["status:suspended"])


@pytest.mark.db
async def test_the_verdict_is_red_when_an_identity_check_lapsed(wanjia_kit: Kit):
    provider = await cleaner_and_plumber(wanjia_kit)
    year_later = NOW + timedelta(days=366)

    await run_identity_recheck(wanjia_kit.tenant_id, year_later, ignore)

    found = await colour(wanjia_kit, provider, year_later)
    assert found.colour == "red"
    assert "check:face_match" in found.reasons


@pytest.mark.db
async def test_the_verdict_says_whether_this_is_the_booking_s_provider(wanjia_kit: Kit):
    provider = await cleaner_and_plumber(wanjia_kit)
    other = await cleaner_and_plumber(wanjia_kit)
    mine = await booking_for(wanjia_kit.tenant_id, provider, status="arrived")
    theirs = await booking_for(wanjia_kit.tenant_id, other, status="accepted")
    now = days_before(100)

    def verdict_for(booking_id: str):  # type: ignore[no-untyped-def]
        return trust.provider_verdict(
            wanjia_kit.tenant, wanjia_kit.tenant_id, provider, now, booking_id
        )

    assigned = await verdict_for(mine)
    assert (assigned.colour, assigned.reasons, assigned.assigned) == ("green", [], True)
    wrong = await verdict_for(theirs)
    assert (wrong.colour, wrong.reasons, wrong.assigned) == ("red", ["not_assigned"], False)
    plain = await verdict_for("")
    assert (plain.colour, plain.assigned) == ("green", None)


@pytest.mark.db
async def test_a_booking_no_longer_under_way_is_not_the_provider_s(wanjia_kit: Kit):
    provider = await cleaner_and_plumber(wanjia_kit)

    statuses = {
        "offered": False,
        "completed": False,
        "closed": False,
        "cancelled": False,
        "no_show": False,
        "accepted": True,
        "en_route": True,
        "arrived": True,
        "in_progress": True,
    }
    for day, (status, under_way) in enumerate(statuses.items()):
        booking_id = await booking_for(  # a day apart: one provider's holds never overlap
            wanjia_kit.tenant_id, provider, status=status, starts=days_before(200 + day)
        )
        found = await trust.is_assigned(wanjia_kit.tenant_id, booking_id, provider)
        assert found is under_way, status


@pytest.mark.db
async def test_another_tenants_booking_is_never_the_provider_s(wanjia_kit: Kit, jiejia_kit: Kit):
    provider = await cleaner_and_plumber(wanjia_kit)
    elsewhere = await jiejia_kit.provider([CLEANING])
    booking_id = await booking_for(jiejia_kit.tenant_id, elsewhere)

    assert not await trust.is_assigned(wanjia_kit.tenant_id, booking_id, provider)
    assert not await trust.is_assigned(wanjia_kit.tenant_id, booking_id, elsewhere)


@pytest.mark.db
async def test_at_the_door_of_a_booking_a_lapsed_certificate_still_turns_the_verdict(
    wanjia_kit: Kit,
):
    """Frozen time: the assigned provider's health certificate lapses the day before the
    visit; the verdict at the door is yellow (one item left), not green, and says whose job
    it is."""
    provider = await cleaner_and_plumber(wanjia_kit)
    booking_id = await booking_for(wanjia_kit.tenant_id, provider, starts=days_before(-1))
    at_the_door = days_before(-1)
    await lapse(wanjia_kit, at_the_door)

    found = await trust.provider_verdict(
        wanjia_kit.tenant, wanjia_kit.tenant_id, provider, at_the_door, booking_id
    )

    assert (found.colour, found.assigned) == ("yellow", True)
    assert "certificate_expired:health_certificate" in found.reasons
