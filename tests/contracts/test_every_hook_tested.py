"""Every hook has a test named ``test_hook_<name>`` (after datasette's tests/test_plugins.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.contracts.specs import ROOT, hook_functions

TESTS = ROOT / "tests"
PREFIX = "test_hook_"


def hook_test_names(tests_dir: Path) -> set[str]:
    """Names of every ``test_hook_*`` function or method in the test files under ``tests_dir``."""
    names: set[str] = set()
    for path in tests_dir.rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        functions = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        names.update(f.name for f in functions if f.name.startswith(PREFIX))
    return names


def untested_hooks(test_names: set[str]) -> list[str]:
    return sorted(name for name in hook_functions() if f"{PREFIX}{name}" not in test_names)


def stale_hook_tests(test_names: set[str]) -> list[str]:
    """``test_hook_*`` names that start with no hook's name (a renamed or removed hook)."""
    hooks = hook_functions().keys()
    return sorted(
        test
        for test in test_names
        if not any(
            test == f"{PREFIX}{hook}" or test.startswith(f"{PREFIX}{hook}_") for hook in hooks
        )
    )


def test_every_hook_has_a_test_named_after_it() -> None:
    missing = untested_hooks(hook_test_names(TESTS))
    assert missing == [], f"no test_hook_<name> for: {', '.join(missing)}"


def test_every_hook_test_names_a_hook_that_exists() -> None:
    stale = stale_hook_tests(hook_test_names(TESTS))
    assert stale == [], f"tests named after hooks that do not exist: {', '.join(stale)}"


def test_the_scan_finds_functions_methods_and_async_tests(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(
        "def test_hook_base_price(): ...\n"
        "class TestWeb:\n"
        "    async def test_hook_theme_context(self): ...\n"
        "def helper_hook_geocoders(): ...\n"
        "def test_hook_base_prices(): ...\n",
        encoding="utf-8",
    )
    (tmp_path / "notes.py").write_text("def test_hook_route_solver(): ...\n", encoding="utf-8")
    found = hook_test_names(tmp_path)
    assert found == {"test_hook_base_price", "test_hook_theme_context", "test_hook_base_prices"}
    assert "base_price" not in untested_hooks(found)
    assert "route_solver" in untested_hooks(found)
    assert stale_hook_tests(found) == ["test_hook_base_prices"]
