"""The log scan of the whole run can fail: planted records with personal data are found, and
the report names the logger without repeating the value."""

from __future__ import annotations

import logging

import pytest

from tests.log_guard import RecordKeeper, is_id_number, known_people, scan


@pytest.fixture
def keeper() -> logging.Logger:
    """A logger of its own (not propagating: the session's scan must not see the plants)."""
    logger = logging.getLogger("doorstep.test.planted")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    handler = RecordKeeper()
    logger.addHandler(handler)
    logger.keeper = handler  # type: ignore[attr-defined]
    yield logger
    logger.removeHandler(handler)
    logger.propagate = True


@pytest.mark.parametrize(
    "message, args",
    [
        ("sms to %s", ("13812341234",)),
        ("sms to %s", ("+8613812341234",)),
        ("sms to +86 138 1234 1234", ()),
        ("sent %(code)s to %(to)s", {"code": "123456", "to": "139-1628-5730"}),
        ("customer %s signed up", ("王小明",)),
        ("geocoding %s", ("上海市浦东新区锦绣路1001弄 5号楼1202室",)),
        ("id card 11010519491231002X checked", ()),
    ],
)
def test_a_planted_record_with_personal_data_is_found(
    keeper: logging.Logger, message: str, args: object
) -> None:
    keeper.info(message, args) if isinstance(args, dict) else keeper.info(message, *args)  # type: ignore[arg-type]

    [found] = scan(keeper.keeper.kept)  # type: ignore[attr-defined]

    assert found.logger == "doorstep.test.planted"
    for value in (
        "13812341234",
        "1234 1234",
        "1628-5730",
        "王小明",
        "锦绣路",
        "11010519491231002X",
    ):
        assert value not in str(found), "the report repeats the personal value"


def test_an_exception_text_is_scanned_too(keeper: logging.Logger) -> None:
    try:
        raise ValueError("bad number 15821906637")
    except ValueError:
        keeper.exception("lookup failed")

    [found] = scan(keeper.keeper.kept)  # type: ignore[attr-defined]

    assert found.kind == "a mobile number" and "[mobile]" in found.message


def test_ordinary_records_pass(keeper: logging.Logger) -> None:
    keeper.info("security event otp_wrong on tenant %s", "8f1c2a9e-1b3d-4e5f-9a7b-13812341234f")
    keeper.info("worker pass: %s", {"due": 13812341, "epoch_ms": 1764118800000})
    keeper.warning("phone 138****1234 asked for a code; order 2026112600001")

    assert scan(keeper.keeper.kept) == []  # type: ignore[attr-defined]


def test_id_numbers_are_checked_by_their_check_digit() -> None:
    assert is_id_number("11010519491231002X")
    assert not is_id_number("110105194912310021")


def test_the_demo_people_are_known_to_the_scan() -> None:
    people = known_people()

    assert "王小明" in people and "上海市浦东新区锦绣路1001弄 5号楼1202室" in people
