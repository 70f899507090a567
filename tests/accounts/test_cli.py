"""``doorstep staff add``, ``token issue`` and ``keys rotate``, as the installed program, each in
its own process against a throwaway install (SQLite file, keys in var/keys.json)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from core.accounts.demo import CUSTOMERS, DEMO_PASSWORD, STAFF
from tests.cli.conftest import DOORSTEP, ROOT, Install, assert_one_line_error
from tests.cli.conftest import install as install  # the fixture

Run = Callable[..., subprocess.CompletedProcess[str]]
PASSWORD = "correct horse battery"
SETUP = """
import asyncio
from cli import context
from core.db import engine_for, use_engine
from core.privacy import service as privacy
settings = context.settings()
plugins = context.load_plugins()
registry = context.load_tenants(settings, plugins)
use_engine(engine_for(settings))
privacy.configure(settings)
"""
SEED = (
    SETUP
    + """
from core.demo import seed_demo
print(asyncio.run(seed_demo(registry, plugins, settings)))
"""
)
STAFF_SIGN_IN = (
    SETUP
    + f"""
from core.accounts import passwords
from core.tenancy.service import tenant_row_id
async def main():
    tenant_id = await tenant_row_id("jiejia")
    print(await passwords.check_password(tenant_id, "admin@jiejia.demo", "{DEMO_PASSWORD}"))
asyncio.run(main())
"""
)
NOT_OURS = ("DOORSTEP_DATA_KEYS", "DOORSTEP_INDEX_KEY", "DATABASE_URL", "DATABASE_OWNER_URL")


def environment(install: Install) -> dict[str, str]:
    """This process's environment, minus its keys and database: the install has its own."""
    inherited = {k: v for k, v in os.environ.items() if k not in NOT_OURS}
    return inherited | install.env


def python(install: Install, code: str) -> str:
    """Run ``code`` in a fresh interpreter against the install; its standard output."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environment(install),
        cwd=install.root,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def runner(install: Install) -> Run:
    def call(*args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(DOORSTEP), *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=install.root,
            env=environment(install) | env,
            timeout=120,
            check=False,
        )

    return call


@pytest.fixture(scope="session")
def migrated_var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``var/`` folder migrated once (database and keys), copied by each test."""
    root = tmp_path_factory.mktemp("migrated")
    template = Install(
        root=root, tenants=root / "tenants", themes=root / "themes", var=root / "var"
    )
    shutil.copytree(ROOT / "tenants", template.tenants)
    shutil.copytree(ROOT / "themes", template.themes)
    done = runner(template)("migrate")
    assert done.returncode == 0, done.stderr
    return template.var


@pytest.fixture
def cli(install: Install, migrated_var: Path) -> Run:
    """``cli("token", "issue", ...)``: the installed program on a migrated install."""
    shutil.copytree(migrated_var, install.var)
    return runner(install)


def staff_add(email: str, *roles: str, tenant: str = "jiejia") -> list[str]:
    args = ["staff", "add", "--tenant", tenant, "--email", email, "--password-stdin"]
    for role in roles:
        args += ["--role", role]
    return args


def issue(user: str, tenant: str = "jiejia", *extra: str) -> list[str]:
    return ["token", "issue", "--tenant", tenant, "--user", user, *extra]


def test_staff_add_then_token_issue_by_email_and_by_id(cli: Run) -> None:
    added = cli(
        *staff_add("Ops@Jiejia.test", "admin", "support"), "--name", "周海涛", stdin=PASSWORD
    )
    assert added.returncode == 0, added.stderr
    assert "added to jiejia with role(s) admin, support" in added.stdout

    issued = cli(*issue("ops@jiejia.test"))

    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert token.startswith("dst_") and len(token) > 40
    assert "it is not shown again" in issued.stderr
    doc = json.loads(cli(*issue("ops@jiejia.test", "jiejia", "--json", "--label", "iOS")).stdout)
    assert set(doc) == {"token", "userId", "tenant", "label", "expiresAt"}
    assert (doc["tenant"], doc["label"]) == ("jiejia", "iOS") and doc["token"] != token
    assert cli(*issue(doc["userId"])).returncode == 0


def test_token_issue_by_mobile_number_on_its_own_tenant_only(cli: Run, install: Install) -> None:
    python(install, SEED)
    customer = CUSTOMERS["jiejia"][0]

    issued = cli(*issue(customer.phone, "jiejia", "--json"))

    assert issued.returncode == 0, issued.stderr
    assert json.loads(issued.stdout)["tenant"] == "jiejia"
    message = assert_one_line_error(cli(*issue(customer.phone, "wanjia")))
    assert message == f"--user {customer.phone}: no such account on wanjia"


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (staff_add("a@b.test", "admin"), "short", "--password: use at least 10 characters"),
        (staff_add("a@b.test", "boss"), PASSWORD, "--role: unknown role(s): boss"),
        (staff_add("not-an-email", "admin"), PASSWORD, "--email: not an email address"),
        (
            staff_add("a@b.test", "admin", tenant="acme"),
            PASSWORD,
            "--tenant acme: no such tenant (tenants: jiejia, wanjia)",
        ),
        (issue("nobody@jiejia.test"), "", "--user nobody@jiejia.test: no such account on jiejia"),
        (issue("12345"), "", "--user 12345: not a valid mobile number"),
        (["keys", "rotate", "--batch-size", "0"], "", "--batch-size must be at least 1"),
    ],
    ids=["short-password", "unknown-role", "bad-email", "unknown-tenant", "unknown-user",
         "bad-number", "batch-size"],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line(cli: Run, args: list[str], stdin: str, says: str) -> None:
    assert assert_one_line_error(cli(*args, stdin=stdin)) == says


def test_a_second_staff_account_with_the_same_email_is_refused(cli: Run) -> None:
    assert cli(*staff_add("ops@jiejia.test", "admin"), stdin=PASSWORD).returncode == 0

    again = cli(*staff_add("OPS@jiejia.test", "support"), stdin=PASSWORD)

    assert assert_one_line_error(again) == "--email: already in use"


def database_bytes(install: Install) -> bytes:
    """The SQLite database as it is on disk, write-ahead log included."""
    path = install.var / "doorstep.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def demo_values() -> list[str]:
    """Every demo number, name, email and street: none may be readable in the file."""
    values = []
    for people in CUSTOMERS.values():
        for person in people:
            values += [person.phone, person.name]
            values += [text.split(" ")[0][-8:] for _, text in person.addresses]
    for staff in STAFF.values():
        values += [person.name for person in staff] + [person.email for person in staff]
    return values


def test_the_demo_database_file_holds_no_clear_personal_data(cli: Run, install: Install) -> None:
    assert "10 staff and 8 customers added" in python(install, SEED)

    data = database_bytes(install)

    assert b"accounts_user" in data and b"v1:k1:" in data
    assert [value for value in demo_values() if value.encode() in data] == []


def test_keys_rotate_adds_a_key_and_re_encrypts_everything(cli: Run, install: Install) -> None:
    python(install, SEED)

    rotated = cli("keys", "rotate", "--batch-size", "3")

    assert rotated.returncode == 0, rotated.stderr
    assert "new data key k2 added" in rotated.stdout
    assert "re-encrypted under key k2" in rotated.stdout
    keys = json.loads((install.var / "keys.json").read_text())
    assert [key_id for key_id, _ in keys["data_keys"]] == ["k2", "k1"]
    data = database_bytes(install)
    assert b"v1:k1:" not in data and b"v1:k2:" in data
    # everything still reads: a staff password check, a customer found by number
    assert python(install, STAFF_SIGN_IN).strip()
    assert cli(*issue(CUSTOMERS["wanjia"][0].phone, "wanjia")).returncode == 0
    assert "new data key k3 added" in cli("keys", "rotate").stdout


def test_with_keys_in_the_environment_rotate_says_what_to_do(cli: Run, install: Install) -> None:
    keys = json.loads((install.var / "keys.json").read_text())
    env = {
        "DOORSTEP_DATA_KEYS": ",".join(f"{k}:{v}" for k, v in keys["data_keys"]),
        "DOORSTEP_INDEX_KEY": keys["index_key"],
    }

    message = assert_one_line_error(cli("keys", "rotate", **env))

    assert message.startswith(
        "every value is already under k1, the first key in DOORSTEP_DATA_KEYS"
    )
    assert "put a new key first in DOORSTEP_DATA_KEYS" in message
    assert json.loads((install.var / "keys.json").read_text()) == keys, "the file is left alone"
