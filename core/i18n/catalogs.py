"""Message catalogs per tenant and locale.

Catalogs are ``.po`` files compiled in memory at first use (no compiled binaries in the repo).
Merge order, later winning: core, then each enabled vertical plugin, then the tenant's own
``wording`` from its YAML. Templates format every message with ``%`` (Jinja's new-style
gettext), so a bare ``%`` in the tenant's plain-text wording is doubled; ``%(name)s`` stays.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

SUPPORTED_LOCALES = ("zh_CN", "en")
CORE_LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
BARE_PERCENT = re.compile(r"%(?!\(\w+\)[sd])")
"""A ``%`` that does not start a ``%(name)s`` placeholder: "100% 满意"."""


def _compile(catalog: Catalog) -> Translations:
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


@lru_cache(maxsize=64)
def _po_translations(po_file: Path, locale: str) -> Translations | None:
    if not po_file.is_file():
        return None
    with po_file.open("rb") as fp:
        return _compile(read_po(fp, locale=locale))


def build_translations(
    locale: str, plugin_locale_dirs: Iterable[Path], wording: Mapping[str, str]
) -> Translations:
    """Core's catalog, merged with each plugin's, then the tenant wording on top."""
    translations = Translations()
    dirs = [CORE_LOCALE_DIR, *plugin_locale_dirs]
    for folder in dirs:
        found = _po_translations(folder / locale / "LC_MESSAGES" / "messages.po", locale)
        if found is not None:
            translations.merge(found)
    if wording:
        catalog = Catalog(locale=locale)
        for source, text in wording.items():
            catalog.add(source, BARE_PERCENT.sub("%%", text))
        translations.merge(_compile(catalog))
    return translations
