"""``doorstep prices list`` and ``doorstep prices set``: an agency lists a tenant's prices and
changes them within their bands; wrong input is one line and exit 2, and nothing is saved.

Run as the installed program (each in its own process and temp SQLite file): the commands bind
the database engine for the whole process.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.cli.conftest import DOORSTEP, ROOT, assert_one_line_error, assert_user_error, plain

DEEP = "housekeeping.home_cleaning.deep"
DAILY = "housekeeping.home_cleaning.daily"


@pytest.fixture(scope="session")
def migrated_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``var/`` folder as ``doorstep migrate`` leaves it for the demo tenants (made once)."""
    root = tmp_path_factory.mktemp("prices-install")
    (root / "tenants").mkdir()
    for demo in ("jiejia", "wanjia"):
        shutil.copy(ROOT / "tenants" / f"{demo}.yaml", root / "tenants")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
        "DOORSTEP_TENANTS": str(root / "tenants"),
        "DOORSTEP_THEMES": str(ROOT / "themes"),
        "DOORSTEP_VAR": str(root / "var"),
    }
    result = subprocess.run(
        [str(DOORSTEP), "migrate"], capture_output=True, text=True, env=env, timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return root / "var"


@pytest.fixture
def migrated_install(install, migrated_state: Path):  # type: ignore[no-untyped-def]
    """The temp install with a migrated database (a copy: each test changes its own)."""
    shutil.copytree(migrated_state, install.var)
    return install


def versions(install) -> list[tuple[str, int, str, str, str]]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(install.var / "doorstep.sqlite3") as conn:
        rows = conn.execute(
            "SELECT t.slug, v.number, v.source, v.actor, v.reason FROM catalog_price_version v "
            "JOIN doorstep_tenant t ON t.id = v.tenant ORDER BY t.slug, v.number"
        )
        return [tuple(row) for row in rows]


def listed(doorstep, slug: str = "jiejia") -> dict:  # type: ignore[no-untyped-def]
    result = doorstep("prices", "list", "--tenant", slug, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_json_list_has_every_tier_with_its_price_and_band(doorstep, migrated_install):
    found = listed(doorstep)

    assert (found["tenant"], found["currency"], found["version"]) == ("jiejia", "CNY", 1)
    deep = next(t for t in found["tiers"] if t["ref"] == DEEP)
    assert deep == {
        "ref": DEEP,
        "item": {"zh_CN": "全屋保洁", "en": "Whole-home cleaning"},
        "tier": {"zh_CN": "深度保洁", "en": "Deep cleaning"},
        "unit": "m2",
        "price_fen": 900,
        "min_fen": 700,
        "max_fen": 1400,
    }
    assert len({t["ref"] for t in listed(doorstep, "wanjia")["tiers"]}) > len(found["tiers"])


def test_the_table_shows_refs_whole_with_names_prices_and_bands(doorstep, migrated_install):
    result = doorstep("prices", "list", "--tenant", "jiejia", COLUMNS="80")

    assert result.returncode == 0, result.stderr
    text = plain(result.stdout)
    assert "jiejia: price list version 1 (CNY)" in text
    assert "全屋保洁 · 深度保洁" in text
    assert "900 /m2" in text and "700-1400" in text
    # A long ref may fold over two lines in a narrow terminal, but is never cut with "…".
    assert "…" not in result.stdout
    assert "housekeeping.home_clea" in result.stdout


def test_set_saves_one_version_by_the_cli_and_list_shows_it(doorstep, migrated_install):
    result = doorstep(
        "prices", "set", "--tenant", "jiejia", DEEP, "1000", DAILY, "5000",
        "--reason", "labour costs rose",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "saved price list version 2 for jiejia" in result.stdout
    assert versions(migrated_install)[1] == ("jiejia", 2, "admin", "cli", "labour costs rose")
    found = listed(doorstep)
    prices = {t["ref"]: t["price_fen"] for t in found["tiers"]}
    assert (found["version"], prices[DEEP], prices[DAILY]) == (2, 1000, 5000)
    assert listed(doorstep, "wanjia")["version"] == 1  # another tenant's prices are its own


def test_setting_the_same_price_again_saves_nothing(doorstep, migrated_install):
    result = doorstep("prices", "set", "--tenant", "jiejia", DEEP, "900", "--reason", "same")

    assert result.returncode == 0, result.stderr
    assert "nothing changed" in result.stdout
    assert len(versions(migrated_install)) == 2  # version 1 of each tenant


def test_a_change_effective_later_is_listed_only_then(doorstep, migrated_install):
    later = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")) + timedelta(days=2)
    stamp = later.strftime("%Y-%m-%dT09:00")

    result = doorstep(
        "prices", "set", "--tenant", "jiejia", DEEP, "1000", "--reason", "next week",
        "--effective", stamp,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert f"in force from {later:%Y-%m-%d} 09:00 (Asia/Shanghai)" in result.stdout
    deep = next(t for t in listed(doorstep)["tiers"] if t["ref"] == DEEP)
    assert deep["price_fen"] == 900


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([DEEP, "1500"], f"prices.{DEEP}: 1500 fen is outside the band 700-1400 fen"),
        ([DAILY, "5000", DEEP, "600"], f"prices.{DEEP}: 600 fen is outside the band 700-1400 fen"),
        (
            ["housekeeping.home_cleaning.luxury", "2000"],
            "prices.housekeeping.home_cleaning.luxury: no such service tier "
            "(see 'doorstep prices list')",
        ),
        ([DEEP, "10.00"], f"prices.{DEEP}: '10.00' is not a whole number of fen (¥10.00 is 1000)"),
        ([DEEP, "-900"], f"prices.{DEEP}: '-900' is not a whole number of fen (¥10.00 is 1000)"),
        ([DEEP, "1000", DEEP, "1100"], f"prices.{DEEP}: given twice"),
        ([DEEP], f"{DEEP}: give a price in fen after each tier reference (REF FEN ...)"),
        (
            [DEEP, "1000", "--effective", "2020-01-01T09:00"],
            "--effective: must not be in the past (prices change from now on)",
        ),
        (
            [DEEP, "1000", "--effective", "next tuesday"],
            "--effective: 'next tuesday' is not a date and time like 2026-03-10T09:00",
        ),
        ([DEEP, "1000", "--reason", " "], "--reason: say why the prices change"),
        (
            [DEEP, "1000", "--efective", "2030-01-01"],
            "no such option: --efective (see 'doorstep prices set --help')",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_is_saved(
    doorstep, migrated_install, args, message
):
    before = versions(migrated_install)
    command = ["prices", "set", "--tenant", "jiejia", "--reason", "new season", *args]

    assert assert_one_line_error(doorstep(*command)) == message
    assert versions(migrated_install) == before


def test_an_unknown_tenant_is_one_line(doorstep, migrated_install):
    message = assert_one_line_error(doorstep("prices", "list", "--tenant", "acme"))

    assert message == "--tenant acme: no such tenant (tenants: jiejia, wanjia)"


def test_before_migrate_it_says_to_migrate_first(doorstep, install):
    message = assert_one_line_error(doorstep("prices", "list", "--tenant", "jiejia"))

    assert message.endswith("run 'doorstep migrate' first")


def test_a_missing_reason_is_a_usage_error(doorstep, migrated_install):
    result = doorstep("prices", "set", "--tenant", "jiejia", DEEP, "1000")

    assert_user_error(result)
    assert "Missing option '--reason'" in plain(result.stderr)
    assert len(versions(migrated_install)) == 2
