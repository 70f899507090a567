"""No personal data in logs: every record the test run logs is kept and scanned at the end.

``tests/conftest.py`` attaches ``RecordKeeper`` to the root logger for the whole session and
fails the run (an error at teardown) if any record's message, arguments or exception text holds
a mainland mobile number (any format), an ID-card number, or the name, address or email of a
demo person. The failure names the logger and shows the message with the values masked: the
report itself must not become the leak.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

MOBILE = re.compile(
    r"(?<![0-9A-Za-z])(?:\+?86[\s-]?)?1[3-9]\d(?:\d{8}|[\s-]\d{4}[\s-]\d{4})(?![0-9A-Za-z])"
)
"""A mainland mobile number: ``13812341234``, ``+8613812341234``, ``+86 138 1234 1234``."""
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
"""An 18-character resident ID number (checked with its check digit, below)."""
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def is_id_number(value: str) -> bool:
    total = sum(int(d) * w for d, w in zip(value[:17], _WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == value[17].upper()


@dataclass(frozen=True)
class Finding:
    logger: str
    level: str
    kind: str
    message: str
    """The record's text with every personal value masked."""

    def __str__(self) -> str:
        return f"{self.kind} in a {self.level} record of logger {self.logger!r}: {self.message}"


@dataclass(frozen=True)
class Kept:
    logger: str
    level: str
    text: str


class RecordKeeper(logging.Handler):
    """Keeps the text of every record: message, arguments and exception."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.kept: list[Kept] = []
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            parts = [record.getMessage()]
        except Exception:  # a broken format string: keep what there is
            parts = [str(record.msg), repr(record.args)]
        parts.append(repr(record.args) if record.args else "")
        if record.exc_info:
            parts.append(self._formatter.formatException(record.exc_info))
        elif record.exc_text:
            parts.append(record.exc_text)
        if record.stack_info:
            parts.append(record.stack_info)
        self.kept.append(Kept(record.name, record.levelname, "\n".join(p for p in parts if p)))


def known_people() -> list[str]:
    """Names, addresses and emails of the people the demo and the tests create."""
    values: list[str] = []
    try:
        from core.accounts import demo
    except ImportError:  # pragma: no cover (before the accounts domain exists)
        pass
    else:
        for staff in (s for group in demo.STAFF.values() for s in group):
            values += [staff.name, staff.email]
        for customer in (c for group in demo.CUSTOMERS.values() for c in group):
            values += [customer.name, *(text for _, text in customer.addresses)]
    from tests.contracts.test_cross_tenant_routes import A_PEOPLE, B_PEOPLE

    for person in (A_PEOPLE, B_PEOPLE):
        values += [person.name, person.staff_name, person.staff_email, *person.addresses]
    return sorted({v for v in values if len(v) >= 2}, key=len, reverse=True)


def _mask(text: str, people: Iterable[str]) -> str:
    text = MOBILE.sub("[mobile]", text)
    text = ID_NUMBER.sub(lambda m: "[id number]" if is_id_number(m.group()) else m.group(), text)
    for value in people:
        text = text.replace(value, "[person]")
    return text


def scan(records: Iterable[Kept], people: list[str] | None = None) -> list[Finding]:
    people = known_people() if people is None else people
    found = []
    for record in records:
        text = record.text
        kinds = []
        if MOBILE.search(text):
            kinds.append("a mobile number")
        if any(is_id_number(m.group()) for m in ID_NUMBER.finditer(text)):
            kinds.append("an ID number")
        if any(value in text for value in people):
            kinds.append("a person's name, address or email")
        if kinds:
            shown = _mask(text, people).splitlines()
            found.append(
                Finding(record.logger, record.level, " and ".join(kinds), " | ".join(shown)[:300])
            )
    return found
