"""Taxonomies as data: a vertical ships ``taxonomy.yaml``; tenants add items in their YAML."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import msgspec

from core.catalog.schemas import Category, Frozen, ServiceItem


class TaxonomyFile(Frozen, frozen=True, kw_only=True):
    categories: list[Category]


def stamp_vertical(categories: list[Category], vertical: str) -> list[Category]:
    """Set ``vertical`` on every category and item (files leave it implicit)."""
    return [
        msgspec.structs.replace(
            category,
            vertical=vertical,
            items=[msgspec.structs.replace(item, vertical=vertical) for item in category.items],
        )
        for category in categories
    ]


@lru_cache(maxsize=16)
def _load(path: Path, vertical: str) -> tuple[Category, ...]:
    parsed = msgspec.yaml.decode(path.read_bytes(), type=TaxonomyFile)
    return tuple(stamp_vertical(parsed.categories, vertical))


def load_taxonomy(path: Path, vertical: str) -> list[Category]:
    """Parse a taxonomy file (strict: unknown keys are errors). Cached per process."""
    return list(_load(path, vertical))


def find_item(categories: list[Category], key: str) -> ServiceItem | None:
    return next((i for c in categories for i in c.items if i.key == key), None)
