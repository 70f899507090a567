"""Training courses as data (a vertical's ``training.yaml``) and quiz marking."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import msgspec

from core.verification.schemas import Course


@lru_cache(maxsize=16)
def _load(path: Path, vertical: str) -> Course:
    course = msgspec.yaml.decode(path.read_bytes(), type=Course)
    return msgspec.structs.replace(course, vertical=vertical)


def load_course(path: Path, vertical: str) -> Course:
    """Parse a course file (strict: unknown keys are errors). Cached per process."""
    return _load(path, vertical)


def mark(course: Course, answers: dict[str, str]) -> int:
    """Score out of 100, rounded down; unanswered questions score nothing."""
    if not course.quiz:
        return 100
    right = sum(1 for q in course.quiz if answers.get(q.key) == q.answer)
    return right * 100 // len(course.quiz)
