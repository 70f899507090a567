"""Core never imports ``plugins``; a vertical never imports another; verticals load through
the ``doorstep.plugins`` entry points, exactly like a third-party plugin would."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import tomllib
from pathlib import Path

import pytest

from core.plugins import ENTRY_POINT_GROUP, build_plugin_manager
from tests.contracts.specs import ROOT

IN_TREE_VERTICALS = {"housekeeping", "repair", "tutoring", "locksmith"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Absolute names of the modules ``source`` imports (relative imports resolved).

    ``from a import b`` counts as importing ``a`` and ``a.b``, since ``b`` may be a module.
    """
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            found.add(origin)
            found.update(f"{origin}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def imports_of(path: Path) -> set[str]:
    return imported_modules(
        path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py"
    )


def is_plugins(name: str) -> bool:
    return name == "plugins" or name.startswith("plugins.")


def other_verticals(name: str, own_slug: str) -> bool:
    parts = name.split(".")
    return len(parts) > 1 and parts[0] == "plugins" and parts[1] != own_slug


def python_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def vertical_packages() -> list[Path]:
    return sorted(p.parent for p in (ROOT / "plugins").glob("*/plugin.py"))


def test_core_never_imports_plugins() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in python_files(ROOT / "core")
        for name in sorted(imports_of(path))
        if is_plugins(name)
    ]
    assert offenders == []


def test_a_vertical_never_imports_another_vertical() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for package in vertical_packages()
        for path in python_files(package)
        for name in sorted(imports_of(path))
        if other_verticals(name, package.name)
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("source", "module", "expected"),
    [
        ("import plugins.repair.plugin", "core.x", {"plugins.repair.plugin"}),
        ("from plugins import repair", "core.x", {"plugins", "plugins.repair"}),
        ("from plugins.repair.config import RepairConfig", "core.x", {"plugins.repair.config"}),
        ("from ..plugins import repair", "core.x", {"plugins", "plugins.repair"}),
        ("def f():\n    import plugins.tutoring", "core.web.app", {"plugins.tutoring"}),
        ("from ..locksmith import config", "plugins.repair.plugin", {"plugins.locksmith"}),
        ("from .config import RepairConfig", "plugins.repair.plugin", {"plugins.repair.config"}),
    ],
)
def test_the_scan_sees_every_form_of_import(source: str, module: str, expected: set[str]) -> None:
    assert expected <= imported_modules(source, module)


def test_the_rules_tell_own_modules_from_another_verticals() -> None:
    assert is_plugins("plugins.repair") and is_plugins("plugins")
    assert not is_plugins("core.plugins") and not is_plugins("pluginsx")
    assert other_verticals("plugins.locksmith.config", "repair")
    assert not other_verticals("plugins.repair.config", "repair")
    assert not other_verticals("plugins", "repair")


def test_every_in_tree_vertical_is_declared_as_an_entry_point() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = pyproject["project"]["entry-points"][ENTRY_POINT_GROUP]
    assert {p.name for p in vertical_packages()} == IN_TREE_VERTICALS
    assert declared == {slug: f"plugins.{slug}.plugin" for slug in IN_TREE_VERTICALS}
    installed = {
        ep.name: ep.value for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    }
    assert installed.items() >= declared.items(), "installed metadata is stale: reinstall"


def test_verticals_are_loaded_through_their_entry_points() -> None:
    pm = build_plugin_manager()
    assert set(pm.verticals) == IN_TREE_VERTICALS
    for slug in IN_TREE_VERTICALS:
        module = importlib.import_module(f"plugins.{slug}.plugin")
        # registered under its entry-point name, and the slug it declares is that name
        assert pm.get_plugin(slug) is module
        assert pm.plugin_of_vertical(slug) is module
    assert build_plugin_manager(load_installed=False).verticals == {}
