"""Hook implementations of the locksmith vertical (thin: the rules live beside this file)."""

from __future__ import annotations

from pathlib import Path

from core.catalog.schemas import Vertical
from core.hookspecs import hookimpl
from plugins.locksmith.config import LocksmithConfig

HERE = Path(__file__).resolve().parent
SLUG = "locksmith"


@hookimpl
def register_vertical() -> Vertical:
    return Vertical(
        slug=SLUG,
        label={"zh_CN": "开锁换锁", "en": "Locksmith"},
        config_type=LocksmithConfig,
        templates_dir=HERE / "templates",
        locale_dir=HERE / "locale",
        icon="🔑",
    )
