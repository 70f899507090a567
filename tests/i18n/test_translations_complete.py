"""A Chinese page never shows an untranslated English sentence from core or a theme."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def template_messages(folder: Path) -> set[str]:
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        str(folder),
        method_map=[("**.html", "jinja2")],
        options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def translated(po_file: Path) -> set[str]:
    with po_file.open("rb") as fp:
        return {m.id for m in read_po(fp) if m.id and m.string}


def test_every_core_and_theme_message_has_a_chinese_translation():
    wanted = template_messages(ROOT / "core" / "templates") | template_messages(ROOT / "themes")
    have = translated(ROOT / "core" / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po")

    assert sorted(wanted - have) == []


def test_every_vertical_template_message_has_a_chinese_translation():
    for plugin in sorted((ROOT / "plugins").iterdir()):
        if not (plugin / "templates").is_dir():
            continue
        wanted = template_messages(plugin / "templates")
        have = translated(plugin / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po")
        assert sorted(wanted - have) == [], plugin.name
