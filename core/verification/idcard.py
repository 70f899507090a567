"""Resident identity card numbers (GB 11643-1999): checksum, real birth date, known region."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
SHAPE = re.compile(r"^\d{17}[\dX]$")
PROVINCES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
    }
)


class IdNumberError(ValueError):
    """Why a number is not a valid identity card number (safe to show; never echoes it)."""


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: date
    gender: str
    """``male`` or ``female`` (the sequence number's parity)."""
    region: str


def check_char(first17: str) -> str:
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def parse_id_number(raw: str, today: date | None = None) -> IdNumber:
    """Validate and decode an 18-character number. Raises IdNumberError with the reason."""
    value = raw.strip().upper().replace(" ", "")
    if not SHAPE.match(value):
        raise IdNumberError("an identity card number has 17 digits and a final digit or X")
    if value[:2] not in PROVINCES or value[2:6] == "0000":
        raise IdNumberError("the region code is not a known region")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IdNumberError("the birth date is not a real date") from None
    today = today or date.today()
    if born > today or born.year < 1900:
        raise IdNumberError("the birth date is impossible")
    if check_char(value[:17]) != value[17]:
        raise IdNumberError("the check digit does not match")
    return IdNumber(
        value=value,
        birth_date=born,
        gender="male" if int(value[16]) % 2 else "female",
        region=value[:6],
    )


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
