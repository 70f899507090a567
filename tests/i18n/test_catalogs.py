"""Catalogs merge core, then each enabled plugin, then the tenant's wording; later wins."""

from __future__ import annotations

from pathlib import Path

from core.i18n.catalogs import build_translations
from tests.conftest import ROOT

QUESTION = "What do you need done at home?"
HOUSEKEEPING_HINT = "Daily, deep and move-in cleaning"
HOUSEKEEPING_LOCALE = ROOT / "plugins" / "housekeeping" / "locale"


def write_po(folder: Path, locale: str, messages: dict[str, str]) -> Path:
    po = folder / locale / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    entries = "".join(f'\nmsgid "{k}"\nmsgstr "{v}"\n' for k, v in messages.items())
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n' + entries,
        encoding="utf-8",
    )
    return folder


def test_core_text_is_chinese_in_zh_cn():
    assert build_translations("zh_CN", [], {}).gettext(QUESTION) == "您家里需要什么服务？"


def test_english_is_the_source_text():
    assert build_translations("en", [HOUSEKEEPING_LOCALE], {}).gettext(QUESTION) == QUESTION


def test_a_plugins_messages_come_from_its_own_catalog():
    without = build_translations("zh_CN", [], {})
    with_plugin = build_translations("zh_CN", [HOUSEKEEPING_LOCALE], {})

    assert without.gettext(HOUSEKEEPING_HINT) == HOUSEKEEPING_HINT
    assert with_plugin.gettext(HOUSEKEEPING_HINT) == "日常保洁、深度保洁、开荒保洁"


def test_a_plugin_catalog_overrides_core(tmp_path):
    plugin = write_po(tmp_path / "locale", "zh_CN", {QUESTION: "需要上门做点什么？"})

    merged = build_translations("zh_CN", [plugin], {})

    assert merged.gettext(QUESTION) == "需要上门做点什么？"
    assert merged.gettext("Why book with us") == "为什么选择我们"  # the rest of core stays


def test_tenant_wording_overrides_core_and_plugins(tmp_path):
    plugin = write_po(tmp_path / "locale", "zh_CN", {QUESTION: "需要上门做点什么？"})
    wording = {QUESTION: "今天想把哪里打扫干净？", HOUSEKEEPING_HINT: "深度保洁"}

    merged = build_translations("zh_CN", [plugin, HOUSEKEEPING_LOCALE], wording)

    assert merged.gettext(QUESTION) == "今天想把哪里打扫干净？"
    assert merged.gettext(HOUSEKEEPING_HINT) == "深度保洁"


def test_tenant_wording_works_in_english_too():
    merged = build_translations("en", [], {QUESTION: "Which room shall we make spotless today?"})

    assert merged.gettext(QUESTION) == "Which room shall we make spotless today?"
    assert merged.gettext("Why book with us") == "Why book with us"


def test_one_tenants_wording_does_not_stay_in_the_shared_catalogs():
    build_translations("zh_CN", [HOUSEKEEPING_LOCALE], {QUESTION: "今天想把哪里打扫干净？"})

    again = build_translations("zh_CN", [HOUSEKEEPING_LOCALE], {})

    assert again.gettext(QUESTION) == "您家里需要什么服务？"


def test_a_plugin_without_a_catalog_for_the_locale_is_skipped(tmp_path):
    merged = build_translations("zh_CN", [tmp_path / "no-such-locale-dir"], {})

    assert merged.gettext(QUESTION) == "您家里需要什么服务？"


def test_a_bare_percent_in_wording_is_kept_literal_for_templates():
    wording = {"Why book with us": "100% 满意", "%(count)s homes": "%(count)s 户，好评 99%"}

    merged = build_translations("zh_CN", [], wording)

    assert merged.gettext("Why book with us") % {} == "100% 满意"
    assert merged.gettext("%(count)s homes") % {"count": 3} == "3 户，好评 99%"
