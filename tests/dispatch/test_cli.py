"""``doorstep dispatch plan``: the day's plan from the command line, bad input exits 2."""

from __future__ import annotations

import json

from tests.cli.conftest import assert_one_line_error, doorstep, install  # noqa: F401
from tests.cli.test_prices import migrated_install, migrated_state  # noqa: F401


def test_a_bad_date_or_tenant_is_named_and_exits_2(doorstep, install) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    bad_date = doorstep("dispatch", "plan", "--tenant", "jiejia", "--date", "11/03/2026")
    assert "--date 11/03/2026" in assert_one_line_error(bad_date)
    bad_tenant = doorstep("dispatch", "plan", "--tenant", "nobody", "--date", "2026-03-11")
    assert "--tenant nobody" in assert_one_line_error(bad_tenant)


def test_planning_a_day_prints_the_plan_as_json(doorstep, migrated_install) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    result = doorstep("dispatch", "plan", "--tenant", "wanjia", "--date", "2026-03-11", "--json")

    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert (plan["day"], plan["area"], plan["routes"], plan["unassigned"]) == (
        "2026-03-11",
        "",
        [],
        [],
    )
    assert plan["totals"]["jobs"] == 0 and plan["solver"]
