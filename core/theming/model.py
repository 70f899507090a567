"""Theme folders: ``themes/<name>/theme.yaml`` (typed tokens, optional parent), templates/,
static/. A theme's tokens and templates override its parent's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import msgspec
import yaml

HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
LENGTH = re.compile(r"^\d+(?:\.\d+)?(?:px|rem|em|%)$")
FONT_STACK = re.compile(r"^[\w\s\"',.-]+$", re.UNICODE)


class DesignTokens(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The design tokens a theme sets; None means "inherit from the parent theme"."""

    color_primary: str | None = None
    color_on_primary: str | None = None
    color_accent: str | None = None
    color_bg: str | None = None
    color_surface: str | None = None
    color_text: str | None = None
    color_muted: str | None = None
    color_border: str | None = None
    font_body: str | None = None
    font_heading: str | None = None
    radius: str | None = None
    space: str | None = None
    max_width: str | None = None


TOKEN_NAMES = tuple(DesignTokens.__struct_fields__)


def token_problem(name: str, value: str) -> str | None:
    """Why ``value`` is not a valid value for token ``name`` (None if it is)."""
    if name not in TOKEN_NAMES:
        return f"unknown design token (known: {', '.join(TOKEN_NAMES)})"
    if name.startswith("color_") and not HEX_COLOR.match(value):
        return f"{value!r} is not a colour like '#0f766e'"
    if name in {"radius", "space", "max_width"} and not LENGTH.match(value):
        return f"{value!r} is not a length like '12px' or '1rem'"
    if name.startswith("font_") and not FONT_STACK.match(value):
        return f"{value!r} is not a font stack"
    return None


class ThemeSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    label: dict[str, str]
    parent: str | None = None
    tokens: DesignTokens = DesignTokens()


@dataclass(frozen=True)
class Theme:
    name: str
    path: Path
    spec: ThemeSpec
    parent: Theme | None

    @property
    def chain(self) -> list[Theme]:
        """This theme, then its parent, grandparent..."""
        out: list[Theme] = []
        theme: Theme | None = self
        while theme is not None:
            out.append(theme)
            theme = theme.parent
        return out

    def tokens(self, overrides: dict[str, str] | None = None) -> dict[str, str]:
        """Resolved tokens: root theme first, each child overriding, then ``overrides``."""
        merged: dict[str, str] = {}
        for theme in reversed(self.chain):
            for name in TOKEN_NAMES:
                value = getattr(theme.spec.tokens, name)
                if value is not None:
                    merged[name] = value
        merged.update(overrides or {})
        return merged


class ThemeError(Exception):
    pass


def available_themes(themes_dir: Path) -> list[str]:
    if not themes_dir.is_dir():
        return []
    return sorted(p.name for p in themes_dir.iterdir() if (p / "theme.yaml").is_file())


def load_theme(themes_dir: Path, name: str, _seen: tuple[str, ...] = ()) -> Theme:
    """Load ``name`` and its parents. Raises ThemeError naming the file and the reason."""
    if name in _seen:
        raise ThemeError(f"theme {name!r}: parent cycle {' -> '.join((*_seen, name))}")
    path = themes_dir / name
    spec_file = path / "theme.yaml"
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", name) or not spec_file.is_file():
        known = ", ".join(available_themes(themes_dir)) or "none"
        raise ThemeError(f"unknown theme {name!r} (installed: {known})")
    try:
        raw = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
        spec = msgspec.convert(raw, ThemeSpec)
    except (yaml.YAMLError, msgspec.ValidationError) as exc:
        raise ThemeError(f"{spec_file}: {exc}") from exc
    for token in TOKEN_NAMES:
        value = getattr(spec.tokens, token)
        if value is not None and (problem := token_problem(token, value)):
            raise ThemeError(f"{spec_file}: tokens.{token}: {problem}")
    parent = load_theme(themes_dir, spec.parent, (*_seen, name)) if spec.parent else None
    return Theme(name=name, path=path, spec=spec, parent=parent)
