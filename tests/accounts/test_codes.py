"""Sign-in codes: six random digits, ten minutes, once, five tries, and limits on resending."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from core.accounts import otp, service
from core.accounts.service import AccountError, RateLimited
from core.accounts.tables import OneTimeCode, SecurityEvent, User
from tests.accounts.conftest import WANG, WANG_E164, Rows, seen_by

pytestmark = pytest.mark.db
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CLIENT = "203.0.113.7"


def wrong(code: str) -> str:
    """A six-digit code that is not ``code``."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_a_code_is_exactly_six_digits_and_not_the_same_twice(rows: Rows) -> None:
    codes = []
    for minute in range(5):
        issued = await otp.issue_code(
            rows.jiejia, f"1391628{minute:04d}", CLIENT, now=T0 + timedelta(minutes=minute)
        )
        codes.append(issued.code)

    assert all(re.fullmatch(r"[0-9]{6}", code) for code in codes)
    assert len(set(codes)) > 1
    stored = await seen_by(rows.jiejia, OneTimeCode.select(OneTimeCode.code_hash))
    assert not any(code in str(row) for row in stored for code in codes), "stored in clear"


async def test_the_code_signs_in_and_creates_the_account_once(rows: Rows) -> None:
    issued = await otp.issue_code(rows.jiejia, WANG, CLIENT, now=T0)

    user_id = await otp.redeem_code(rows.jiejia, WANG, issued.code, now=T0)

    assert issued.phone == WANG_E164
    assert await seen_by(rows.jiejia, User.count()) == 1
    again = await otp.issue_code(
        rows.jiejia, "+86 138 1234 1234", CLIENT, now=T0 + timedelta(minutes=2)
    )
    assert (
        await otp.redeem_code(rows.jiejia, WANG, again.code, now=T0 + timedelta(minutes=2))
        == user_id
    )
    assert await seen_by(rows.jiejia, User.count()) == 1


async def test_a_code_expires_after_ten_minutes(rows: Rows) -> None:
    issued = await otp.issue_code(rows.jiejia, WANG, CLIENT, now=T0)

    with pytest.raises(AccountError) as raised:
        await otp.redeem_code(rows.jiejia, WANG, issued.code, now=T0 + timedelta(minutes=10))

    assert raised.value.field == "code"
    assert await seen_by(rows.jiejia, User.count()) == 0
    # one second earlier it would have worked
    fresh = await otp.issue_code(rows.jiejia, WANG, CLIENT, now=T0 + timedelta(minutes=11))
    later = T0 + timedelta(minutes=20, seconds=59)
    assert await otp.redeem_code(rows.jiejia, WANG, fresh.code, now=later)


async def test_a_code_works_only_once(rows: Rows) -> None:
    issued = await otp.issue_code(rows.jiejia, WANG, CLIENT, now=T0)
    await otp.redeem_code(rows.jiejia, WANG, issued.code, now=T0)

    with pytest.raises(AccountError) as raised:
        await otp.redeem_code(rows.jiejia, WANG, issued.code, now=T0 + timedelta(seconds=5))

    assert raised.value.field == "code"


async def test_five_wrong_tries_kill_the_code_even_for_the_right_one(rows: Rows) -> None:
    issued = await otp.issue_code(rows.jiejia, WANG, CLIENT, now=T0)
    for _ in range(5):
        with pytest.raises(AccountError):
            await otp.redeem_code(rows.jiejia, WANG, wrong(issued.code), CLIENT, now=T0)

    with pytest.raises(AccountError) as raised:
        await otp.redeem_code(rows.jiejia, WANG, issued.code, CLIENT, now=T0)

    assert raised.value.field == "code"
    assert await seen_by(rows.jiejia, User.count()) == 0
    kinds = [
        row["kind"] for row in await seen_by(rows.jiejia, SecurityEvent.select(SecurityEvent.kind))
    ]
    assert kinds.count("otp_wrong") == 4 and "otp_locked" in kinds


async def test_a_code_of_one_tenant_does_not_sign_in_on_another(rows: Rows) -> None:
    issued = await otp.issue_code(rows.jiejia, WANG, CLIENT, now=T0)

    with pytest.raises(AccountError):
        await otp.redeem_code(rows.wanjia, WANG, issued.code, now=T0)


async def test_a_new_code_waits_a_minute_after_the_last(rows: Rows) -> None:
    await otp.issue_code(rows.jiejia, WANG, CLIENT, now=T0)

    with pytest.raises(RateLimited) as raised:
        await otp.issue_code(rows.jiejia, WANG, CLIENT, now=T0 + timedelta(seconds=20))

    assert raised.value.field == "phone"
    assert raised.value.retry_after_s == 41
    assert await otp.issue_code(rows.jiejia, WANG, CLIENT, now=T0 + timedelta(seconds=61))


async def test_a_number_gets_at_most_five_codes_an_hour(rows: Rows) -> None:
    for n in range(5):
        await otp.issue_code(
            rows.jiejia, WANG, f"198.51.100.{n}", now=T0 + timedelta(minutes=2 * n)
        )

    with pytest.raises(RateLimited) as raised:
        await otp.issue_code(rows.jiejia, WANG, "198.51.100.99", now=T0 + timedelta(minutes=15))

    # the oldest of the five leaves the hour at 10:00
    assert raised.value.retry_after_s == 45 * 60
    assert await otp.issue_code(rows.jiejia, WANG, CLIENT, now=T0 + timedelta(minutes=61))


async def test_a_client_gets_at_most_twenty_codes_an_hour(rows: Rows) -> None:
    for n in range(20):
        await otp.issue_code(rows.jiejia, f"1391628{n:04d}", CLIENT, now=T0 + timedelta(seconds=n))

    with pytest.raises(RateLimited):
        await otp.issue_code(rows.jiejia, "13601770425", CLIENT, now=T0 + timedelta(minutes=1))

    assert await otp.issue_code(
        rows.jiejia, "13601770425", "198.51.100.1", now=T0 + timedelta(minutes=1)
    )
    limited = SecurityEvent.count().where(SecurityEvent.kind == "otp_rate_limited")
    assert await seen_by(rows.jiejia, limited) == 1


@pytest.mark.parametrize(
    "typed",
    ["", "12345", "abc", "1381234123", "138123412345", "021 6234 5678", "+86 10 6552 9988"],
    ids=[
        "empty",
        "short",
        "letters",
        "ten-digits",
        "twelve-digits",
        "landline",
        "beijing-landline",
    ],
)
async def test_a_malformed_number_is_refused_naming_the_field(rows: Rows, typed: str) -> None:
    with pytest.raises(AccountError) as raised:
        await otp.issue_code(rows.jiejia, typed, CLIENT, now=T0)

    assert raised.value.field == "phone"
    assert await seen_by(rows.jiejia, OneTimeCode.count()) == 0


@pytest.mark.parametrize(
    "typed", ["13812341234", "138 1234 1234", "+86 138-1234-1234", "+8613812341234"]
)
def test_numbers_are_normalised_to_e164(typed: str) -> None:
    assert service.normalize_phone(typed) == WANG_E164
