"""Hook implementations of the housekeeping vertical (thin: the rules live beside this file)."""

from __future__ import annotations

from pathlib import Path

from core.catalog.schemas import Vertical
from core.hookspecs import hookimpl
from plugins.housekeeping.config import HousekeepingConfig

HERE = Path(__file__).resolve().parent
SLUG = "housekeeping"


@hookimpl
def register_vertical() -> Vertical:
    return Vertical(
        slug=SLUG,
        label={"zh_CN": "家政保洁", "en": "Housekeeping"},
        config_type=HousekeepingConfig,
        templates_dir=HERE / "templates",
        locale_dir=HERE / "locale",
        icon="🧹",
    )
