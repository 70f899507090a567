"""register_vertical: what a vertical declares, and the plugin sets that cannot start."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
import yaml

from core.plugins import PluginError
from core.settings import Settings
from core.tenancy.loader import parse_tenant_file
from tests.hooks.host import (
    GARDENING,
    GARDENING_VERTICAL,
    GardeningConfig,
    host,
    plugin,
    vertical_plugin,
)

IN_TREE = {"housekeeping", "repair", "tutoring", "locksmith"}


def write_tenant(folder: Path, verticals: dict[str, dict[str, int]]) -> Path:
    path = folder / "greenfinger.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "slug": "greenfinger",
                "name": {"zh_CN": "绿手指", "en": "Green Finger"},
                "hosts": ["greenfinger.localhost"],
                "theme": {"name": "harbor"},
                "verticals": verticals,
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return path


def test_hook_register_vertical(tmp_path: Path, settings: Settings) -> None:
    """An installed gardening plugin is a vertical a tenant can enable with its typed config."""
    pm = host(
        vertical_plugin(GARDENING_VERTICAL),
        plugin("declares-nothing", register_vertical=lambda: None),
    )

    assert set(pm.verticals) == IN_TREE | {GARDENING}
    assert pm.verticals[GARDENING].label == {"zh_CN": "园艺", "en": "Gardening"}
    path = write_tenant(tmp_path, {GARDENING: {"hedge_price_fen_per_m": 1800}})
    tenant, problems = parse_tenant_file(path, pm.verticals, settings.themes_dir)
    assert problems == []
    assert tenant is not None
    assert tenant.vertical_config(GARDENING, GardeningConfig).hedge_price_fen_per_m == 1800

    # the same file is refused where gardening is not installed
    _, problems = parse_tenant_file(path, host().verticals, settings.themes_dir)
    assert [(p.key, "unknown vertical" in p.reason) for p in problems] == [
        (f"verticals.{GARDENING}", True)
    ]


def test_hook_register_vertical_refuses_a_slug_declared_twice() -> None:
    """A second plugin claiming the repair vertical stops the start, naming both."""
    impostor = vertical_plugin(msgspec.structs.replace(GARDENING_VERTICAL, slug="repair"))
    with pytest.raises(
        PluginError, match="vertical 'repair' is declared by both repair and test-repair"
    ):
        host(impostor)


def test_hook_register_vertical_must_return_a_vertical() -> None:
    sloppy = plugin("sloppy", register_vertical=lambda: {"slug": GARDENING})
    with pytest.raises(PluginError, match="sloppy: register_vertical must return a Vertical"):
        host(sloppy)
