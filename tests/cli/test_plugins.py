"""``doorstep plugins list``: what is installed, each vertical with its label."""

from __future__ import annotations

import json


def test_the_json_list_has_the_four_verticals_with_their_labels(run):
    result = run("plugins", "list", "--json")

    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    verticals = {row["vertical"]: row["label"] for row in rows if row["vertical"]}
    assert verticals == {
        "housekeeping": {"zh_CN": "家政保洁", "en": "Housekeeping"},
        "repair": {"zh_CN": "家电维修", "en": "Home repair"},
        "tutoring": {"zh_CN": "家教辅导", "en": "Tutoring"},
        "locksmith": {"zh_CN": "开锁换锁", "en": "Locksmith"},
    }
    for row in rows:
        if row["vertical"]:
            assert row["hooks"], f"{row['name']} implements no hook"
            assert "register_vertical" in row["hooks"]
            assert row["core"] is False


def test_the_table_shows_each_vertical_in_both_languages(run):
    result = run("plugins", "list")

    assert result.exit_code == 0, result.output
    for label in ("家政保洁", "Housekeeping", "开锁换锁", "Locksmith"):
        assert label in result.stdout
