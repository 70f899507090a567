"""A loaded tenant: its validated config plus what was resolved from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import msgspec

from core.tenancy.schema import TenantConfig
from core.theming.model import Theme

ConfigT = TypeVar("ConfigT", bound=msgspec.Struct)


@dataclass(frozen=True)
class Tenant:
    config: TenantConfig
    source: Path
    theme: Theme
    vertical_configs: dict[str, msgspec.Struct] = field(default_factory=dict)
    """Each enabled vertical's config block, converted to the plugin's ``config_type``."""

    @property
    def slug(self) -> str:
        return self.config.slug

    @property
    def enabled_verticals(self) -> tuple[str, ...]:
        return tuple(self.config.verticals)

    def vertical_config(self, slug: str, config_type: type[ConfigT]) -> ConfigT:
        """The typed config block of an enabled vertical."""
        value = self.vertical_configs[slug]
        if not isinstance(value, config_type):
            raise TypeError(f"{slug} config is {type(value).__name__}, not {config_type.__name__}")
        return value

    def name(self, locale: str) -> str:
        return self.config.text(self.config.name, locale)

    def __hash__(self) -> int:
        return hash(self.config.slug)
