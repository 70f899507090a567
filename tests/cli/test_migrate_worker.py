"""``doorstep migrate`` and ``doorstep worker``, each in its own process and temp SQLite file.

Run as the installed program: these commands bind the database engine for the whole process,
which must not leak into the test session's own database.
"""

from __future__ import annotations

import sqlite3

from tests.cli.conftest import assert_one_line_error, assert_user_error


def tenant_rows(install) -> list[str]:
    with sqlite3.connect(install.var / "doorstep.sqlite3") as conn:
        return sorted(row[0] for row in conn.execute("SELECT slug FROM doorstep_tenant"))


def test_migrate_creates_the_database_and_registers_the_tenants_once(doorstep, install):
    first = doorstep("migrate")

    assert first.returncode == 0, first.stderr
    database = install.var / "doorstep.sqlite3"
    assert database.is_file()
    assert f"database up to date ({database}); new tenants: jiejia, wanjia" in first.stdout
    assert tenant_rows(install) == ["jiejia", "wanjia"]

    second = doorstep("migrate")

    assert second.returncode == 0, second.stderr
    assert "new tenants: none" in second.stdout
    assert tenant_rows(install) == ["jiejia", "wanjia"]


def test_migrate_registers_a_tenant_added_later(doorstep, install):
    assert doorstep("migrate").returncode == 0
    added = doorstep("tenant", "new", "acme", "--name-zh", "艾克美")
    assert added.returncode == 0, added.stderr

    result = doorstep("migrate")

    assert result.returncode == 0, result.stderr
    assert "new tenants: acme" in result.stdout
    assert tenant_rows(install) == ["acme", "jiejia", "wanjia"]


def test_migrate_with_an_invalid_tenant_touches_no_database(doorstep, install):
    install.write("acme.yaml", "")

    result = doorstep("migrate")

    lines = assert_user_error(result)
    assert lines[0].endswith("acme.yaml: (file): the file is empty")
    assert not (install.var / "doorstep.sqlite3").exists()


def test_a_database_url_that_is_not_postgresql_is_one_line(doorstep):
    message = assert_one_line_error(doorstep("migrate", DATABASE_URL="mysql://db/doorstep"))

    assert message == "DATABASE_URL must start with postgres:// or postgresql://"


def test_the_worker_runs_one_pass_and_exits(doorstep, install):
    assert doorstep("migrate").returncode == 0

    result = doorstep("worker", "--once")

    assert result.returncode == 0, result.stderr
    assert "worker pass: {'tenants_registered': 0, " in result.stdout


def test_the_worker_registers_tenants_migrate_has_not_seen(doorstep, install):
    assert doorstep("migrate").returncode == 0
    assert doorstep("tenant", "new", "acme", "--name-zh", "艾克美").returncode == 0

    result = doorstep("worker", "--once")

    assert result.returncode == 0, result.stderr
    assert "worker pass: {'tenants_registered': 1, " in result.stdout
    assert tenant_rows(install) == ["acme", "jiejia", "wanjia"]


def test_the_worker_on_a_database_not_migrated_says_to_migrate(doorstep):
    message = assert_one_line_error(doorstep("worker", "--once"))

    assert message.startswith("the database is not migrated")
    assert message.endswith("run 'doorstep migrate' first")


def test_the_worker_with_a_bad_database_url_is_one_line(doorstep):
    message = assert_one_line_error(doorstep("worker", "--once", DATABASE_URL="sqlite:///x.db"))

    assert message == "DATABASE_URL must start with postgres:// or postgresql://"


def test_the_worker_refuses_a_pause_that_is_not_positive(doorstep):
    message = assert_one_line_error(doorstep("worker", "--interval", "0"))

    assert message == "--interval must be positive"


def test_the_worker_with_an_invalid_tenant_lists_the_problems(doorstep, install):
    install.write("acme.yaml", "slug: acme\nname: {en: Acme}\nhosts: [acme.localhost]\n")

    result = doorstep("worker", "--once")

    lines = assert_user_error(result)
    assert lines[0].endswith("acme.yaml: theme: required key is missing")
