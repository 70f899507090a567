"""Hook implementations of the tutoring vertical (thin: the rules live beside this file)."""

from __future__ import annotations

from pathlib import Path

from core.catalog.schemas import Vertical
from core.hookspecs import hookimpl
from plugins.tutoring.config import TutoringConfig

HERE = Path(__file__).resolve().parent
SLUG = "tutoring"


@hookimpl
def register_vertical() -> Vertical:
    return Vertical(
        slug=SLUG,
        label={"zh_CN": "家教辅导", "en": "Tutoring"},
        config_type=TutoringConfig,
        templates_dir=HERE / "templates",
        locale_dir=HERE / "locale",
        icon="📚",
    )
