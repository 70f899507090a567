"""Certification requirements, checks and identity verifiers exchanged through hooks.

Checks and verifiers do I/O (a police-filing lookup, an e-KYC vendor), so hooks *return* them
and core awaits their methods; the hooks themselves stay synchronous and pure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

LocalizedText = dict[str, str]


class CertificationRequirement(msgspec.Struct, frozen=True, kw_only=True):
    """A certificate an item requires of its provider (``locksmith.police_filing``)."""

    code: str
    label: LocalizedText
    applies_when: str = ""
    """Optional condition understood by the owning plugin (``minor_student``)."""


class CheckOutcome(msgspec.Struct, frozen=True, kw_only=True):
    status: Literal["passed", "failed", "pending", "expired"]
    reason: str = ""
    valid_until: datetime | None = None


class CertificationCheck:
    """A named check a vertical adds (``certification_checks``); core runs and records it."""

    code: str = ""
    label: LocalizedText = {}

    async def run(self, provider_id: str, evidence: dict[str, str]) -> CheckOutcome:
        raise NotImplementedError


class IdentityVerifier:
    """An e-KYC adapter (real-name match, face match). Results arrive asynchronously."""

    identifier: str = ""
    label: LocalizedText = {}

    async def start(self, provider_id: str, evidence: dict[str, str]) -> str:
        """Submit evidence; return the vendor's reference to poll or be called back about."""
        raise NotImplementedError

    async def result(self, reference: str) -> CheckOutcome:
        raise NotImplementedError


class Lesson(msgspec.Struct, frozen=True, kw_only=True):
    title: LocalizedText
    body: list[LocalizedText]


class QuizQuestion(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    question: LocalizedText
    choices: dict[str, LocalizedText]
    answer: str


class Course(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A vertical's training: lesson pages, then a quiz; ``pass_mark`` of 100."""

    key: str
    vertical: str = ""
    title: LocalizedText
    lessons: list[Lesson]
    quiz: list[QuizQuestion]
    pass_mark: int = 80
