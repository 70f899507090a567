"""What the contract tests read from ``core/hookspecs.py``: each hook, its signature, its banner."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core import hookspecs

ROOT = Path(__file__).resolve().parents[2]
HOOKSPECS_FILE = Path(hookspecs.__file__)
BANNER_RULE = re.compile(r"^# -{20,}$")


def hook_functions() -> dict[str, Callable[..., Any]]:
    """Every hookspec, by name, in file order."""
    specs = {
        name: value
        for name, value in vars(hookspecs).items()
        if inspect.isfunction(value) and hasattr(value, f"{hookspecs.PROJECT}_spec")
    }
    return dict(sorted(specs.items(), key=lambda item: item[1].__code__.co_firstlineno))


def signature_text(name: str, function: Callable[..., Any]) -> str:
    """``def base_price(tenant: Tenant, request: QuoteRequest) -> Money | None``.

    The module uses ``from __future__ import annotations``, so annotations are the strings
    written in the source; they are printed as written, without quotes.
    """
    signature = inspect.signature(function)
    params = []
    for param in signature.parameters.values():
        text = param.name
        if param.annotation is not inspect.Parameter.empty:
            text += f": {param.annotation}"
        if param.default is not inspect.Parameter.empty:
            text += f" = {param.default!r}"
        params.append(text)
    returns = ""
    if signature.return_annotation is not inspect.Signature.empty:
        returns = f" -> {signature.return_annotation}"
    return f"def {name}({', '.join(params)}){returns}"


def banners(source: str) -> list[tuple[int, str]]:
    """``(line number, title)`` of each banner: a comment title between two ``# ----`` rules."""
    lines = source.splitlines()
    found = []
    for number, line in enumerate(lines[1:-1], start=2):
        above, below = lines[number - 2], lines[number]
        if BANNER_RULE.match(above) and BANNER_RULE.match(below) and line.startswith("# "):
            found.append((number, line.removeprefix("# ").strip()))
    return found


def banner_of_each_hook() -> dict[str, str]:
    """The banner each hookspec is written under."""
    titles = banners(HOOKSPECS_FILE.read_text(encoding="utf-8"))
    placed = {}
    for name, function in hook_functions().items():
        line = function.__code__.co_firstlineno
        above = [title for number, title in titles if number < line]
        placed[name] = above[-1] if above else ""
    return placed
