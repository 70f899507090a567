"""Hook implementations of the repair vertical (thin: the rules live beside this file)."""

from __future__ import annotations

from pathlib import Path

from core.catalog.schemas import Vertical
from core.hookspecs import hookimpl
from plugins.repair.config import RepairConfig

HERE = Path(__file__).resolve().parent
SLUG = "repair"


@hookimpl
def register_vertical() -> Vertical:
    return Vertical(
        slug=SLUG,
        label={"zh_CN": "家电维修", "en": "Home repair"},
        config_type=RepairConfig,
        templates_dir=HERE / "templates",
        locale_dir=HERE / "locale",
        icon="🔧",
    )
