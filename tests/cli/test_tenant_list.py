"""``doorstep tenant list``: the tenants of this install, as a table or JSON."""

from __future__ import annotations

import json

from tests.cli.conftest import assert_user_error


def test_the_json_list_has_both_demo_tenants(run, install):
    result = run("tenant", "list", "--json")

    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["slug"] for row in rows] == ["jiejia", "wanjia"]
    jiejia, wanjia = rows
    assert jiejia["name"] == {"zh_CN": "洁家到家", "en": "Jiejia Home"}
    assert jiejia["hosts"] == ["jiejia.localhost"]
    assert jiejia["theme"] == "harbor"
    assert jiejia["verticals"] == ["housekeeping"]
    assert wanjia["theme"] == "lantern"
    assert sorted(wanjia["verticals"]) == ["housekeeping", "locksmith", "repair", "tutoring"]
    assert jiejia["file"] == str(install.tenants / "jiejia.yaml")


def test_the_table_names_each_tenant(run):
    result = run("tenant", "list")

    assert result.exit_code == 0, result.output
    for text in ("jiejia", "洁家到家", "wanjia.localhost", "lantern"):
        assert text in result.stdout


def test_listing_an_install_with_a_bad_tenant_lists_the_problems_instead(run, install):
    bad = install.write("acme.yaml", "slug: acme\n")

    result = run("tenant", "list", "--json")

    lines = assert_user_error(result)
    assert f"{bad}: hosts: required key is missing" in lines
    assert lines[-1] == "error: 3 problem(s) in tenant files; nothing was started"
    assert result.stdout == ""
