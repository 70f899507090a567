"""The demo people: staff who can sign in, customers with addresses, nothing stored in clear."""

from __future__ import annotations

import os
import subprocess

import pytest

from core.accounts import passwords, signin
from core.accounts.demo import CUSTOMERS, DEMO_PASSWORD, STAFF
from core.accounts.tables import Address, User
from core.db import all_tables
from core.demo import seed_demo
from core.tenancy.scoped import scoped, tenant_transaction
from tests.accounts.conftest import Rows
from tests.conftest import ROOT
from tests.pg_cluster import find_bindir

pytestmark = pytest.mark.db


def clear_values() -> list[str]:
    """What must never be readable in the database: every demo number, name and street."""
    values = []
    for people in CUSTOMERS.values():
        for person in people:
            values += [person.phone, person.name]
            values += [text.split(" ")[0][-8:] for _, text in person.addresses]
    for staff in STAFF.values():
        values += [person.name for person in staff] + [person.email for person in staff]
    return values


async def readable_rows(tenant_ids: list[str]) -> str:
    """Every row of every table, as text, as each tenant sees it (row-level security)."""
    dump = []
    for tenant_id in tenant_ids:
        async with tenant_transaction(tenant_id):
            for table in all_tables():
                dump += [repr(row) for row in await table.select()]
    return "\n".join(dump)


async def test_the_demo_people_are_seeded_once_and_stored_encrypted(
    rows: Rows, tenants, plugins, settings
) -> None:  # type: ignore[no-untyped-def]
    first = await seed_demo(tenants, plugins, settings)
    second = await seed_demo(tenants, plugins, settings)

    assert "10 staff and 8 customers added" in first
    assert "0 staff and 0 customers added" in second
    for slug, tenant_id in (("jiejia", rows.jiejia), ("wanjia", rows.wanjia)):
        async with tenant_transaction(tenant_id):
            people = scoped(User, tenant_id).count().where(User.kind.is_in(["staff", "customer"]))
            assert await people == len(STAFF[slug]) + len(CUSTOMERS[slug])
            addresses = (
                await scoped(Address, tenant_id)
                .select(Address.point_enc, Address.district)
                .where(Address.user.kind == "customer")
            )
        expected = sum(len(c.addresses) for c in CUSTOMERS[slug])
        assert len(addresses) == expected
        assert all(a["point_enc"] and a["district"] for a in addresses), (
            "every demo address located"
        )
    text = await readable_rows([rows.jiejia, rows.wanjia])
    assert "v1:" in text
    leaked = [value for value in clear_values() if value in text]
    assert leaked == []


async def test_the_documented_demo_logins_work(rows: Rows, tenants, plugins, settings) -> None:  # type: ignore[no-untyped-def]
    await seed_demo(tenants, plugins, settings)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert f"`{DEMO_PASSWORD}`" in readme
    for slug, tenant_id in (("jiejia", rows.jiejia), ("wanjia", rows.wanjia)):
        for person in STAFF[slug]:
            assert person.email in readme
            user_id = await passwords.check_password(tenant_id, person.email, DEMO_PASSWORD)
            signed = await signin.session_user(
                await signin.start_session(user_id, tenant_id), tenant_id
            )
            assert signed is not None and signed.roles == person.roles
    for customers in CUSTOMERS.values():
        assert customers[0].phone in readme


async def test_a_pg_dump_of_the_demo_database_holds_no_clear_personal_data(
    rows: Rows, tenants, plugins, settings, engine_name: str
) -> None:  # type: ignore[no-untyped-def]
    if engine_name != "postgres":
        pytest.skip("the SQLite file is checked by tests/accounts/test_cli.py")
    await seed_demo(tenants, plugins, settings)
    bindir = find_bindir()
    assert bindir is not None

    dump = subprocess.run(
        [str(bindir / "pg_dump"), "--data-only", os.environ["DOORSTEP_TEST_SUPERUSER_URL"]],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout

    assert "accounts_user" in dump and "v1:" in dump
    assert [value for value in clear_values() if value in dump] == []
