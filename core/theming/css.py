"""Design tokens compiled into one content-hashed stylesheet per tenant."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from core.theming.model import Theme


@dataclass(frozen=True)
class CompiledCss:
    text: str
    digest: str

    @property
    def filename(self) -> str:
        return f"site.{self.digest}.css"


def compile_css(theme: Theme, overrides: dict[str, str]) -> CompiledCss:
    """Tokens as CSS custom properties, then each theme's ``static/theme.css``, root first."""
    tokens = theme.tokens(overrides)
    lines = [":root {"]
    lines += [f"  --{name.replace('_', '-')}: {value};" for name, value in sorted(tokens.items())]
    lines.append("}")
    parts = ["\n".join(lines)]
    for each in reversed(theme.chain):
        sheet = each.path / "static" / "theme.css"
        if sheet.is_file():
            parts.append(f"/* theme: {each.name} */\n" + sheet.read_text(encoding="utf-8"))
    text = "\n\n".join(parts) + "\n"
    return CompiledCss(text=text, digest=hashlib.sha256(text.encode()).hexdigest()[:12])
