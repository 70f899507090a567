"""A copy of the database holds no personal data in clear.

The demo people (customers with numbers, names and addresses; staff with emails; providers with
ID numbers) are seeded through the services, then the copy an attacker would get is read raw:
the bytes of the SQLite file and its write-ahead log, and a ``pg_dump`` of PostgreSQL. None of
the numbers (in any format), names, addresses, emails or ID numbers may appear.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pg_cluster import ThrowawayCluster


def demo_people_values() -> list[str]:
    """Every personal value the demo seeds, in the forms one would search a copy for."""
    from core.accounts.demo import CUSTOMERS, STAFF

    values: list[str] = []

    def phone(national: str) -> None:
        values.extend(
            [
                national,
                f"+86{national}",
                f"{national[:3]} {national[3:7]} {national[7:]}",
                f"{national[:3]}-{national[3:7]}-{national[7:]}",
            ]
        )

    for customer in (c for group in CUSTOMERS.values() for c in group):
        phone(customer.phone)
        values.append(customer.name)
        for _, text in customer.addresses:
            street = text.split("区", 1)[-1]  # what follows the district, which stays clear
            values += [text, street, street.split(" ")[0]]
    for staff in (s for group in STAFF.values() for s in group):
        values += [staff.name, staff.email]
    try:
        from core.safety.demo import CONTACTS
    except ImportError:  # pragma: no cover (before the safety domain exists)
        CONTACTS = {}
    for name, number, _ in (c for group in CONTACTS.values() for c in group.values()):
        phone(number)  # the emergency contacts of the demo provider and customer
        values.append(name)
    try:
        from core.providers.demo import PROVIDERS, id_number_of
    except ImportError:  # pragma: no cover (before the providers domain exists)
        return values
    for slug, providers in PROVIDERS.items():
        for seq, person in enumerate(providers, start=1):
            phone(person.phone)
            values += [person.name, id_number_of(slug, person, seq)]
            if person.centre:  # the address given for the identity check
                street = person.centre.split("区", 1)[-1]
                values += [person.centre, street]
    return values


def clear_in(raw: bytes, values: list[str]) -> list[str]:
    found = []
    for value in values:
        encodings = {value.encode("utf-8"), value.encode("utf-16-le")}
        if any(encoded in raw for encoded in encodings):
            found.append(value[:2] + "…")  # named, never repeated in full
    return found


async def seed(settings, plugins, tenants) -> str:  # type: ignore[no-untyped-def]
    from core.demo import seed_demo

    return await seed_demo(tenants, plugins, settings)


def test_the_values_searched_for_are_the_demo_people() -> None:
    values = demo_people_values()

    assert "+8613812341234" in values and "138 1234 1234" in values and "王小明" in values
    assert any(len(v) == 18 and v[:17].isdigit() for v in values), "ID numbers are searched"


async def test_a_copy_of_the_sqlite_file_holds_no_personal_data_in_clear(
    tmp_path: Path, settings, plugins, tenants
) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from core.db import engine_for, migrate, use_engine

    fresh = replace(settings, var_dir=tmp_path / "var", database_url="", database_owner_url="")
    try:
        await migrate(fresh)
        summary = await seed(fresh, plugins, tenants)
        files = [fresh.sqlite_path, fresh.sqlite_path.with_name(fresh.sqlite_path.name + "-wal")]
        raw = b"".join(f.read_bytes() for f in files if f.exists())
    finally:
        use_engine(engine_for(settings))

    assert "customers added" in summary and len(raw) > 100_000
    assert b"v1:" in raw, "the sealed values are in the file"
    assert clear_in(raw, demo_people_values()) == []


@pytest.mark.db
async def test_a_pg_dump_holds_no_personal_data_in_clear(
    db, settings, plugins, tenants, pg_cluster: ThrowawayCluster
) -> None:  # type: ignore[no-untyped-def]
    summary = await seed(settings, plugins, tenants)

    dump = pg_cluster.dump()

    assert "customers added" in summary and "COPY public.accounts_user" in dump
    assert "v1:" in dump
    assert clear_in(dump.encode(), demo_people_values()) == []


def test_the_search_would_find_a_clear_value() -> None:
    raw = "… INSERT 13812341234 王小明 …".encode()

    assert clear_in(raw, ["13812341234", "王小明", "李娜"]) == ["13…", "王小…"]
