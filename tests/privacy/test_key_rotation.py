"""Key rotation without downtime: values sealed under k1 are re-encrypted under k2 in batches,
while readers keep reading them; afterwards k1 can go. Runs on SQLite and on PostgreSQL (where
rotation walks tenant by tenant, as row-level security requires)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core.privacy import service as privacy
from core.privacy.keys import Keyring, new_key
from tests.tenant_access import all_tenants

pytestmark = pytest.mark.db

PEOPLE = {
    "jiejia": [("13621785540", "胡一菲", "上海市黄浦区南京东路 300 号 1208 室")],
    "wanjia": [
        ("13905710123", "欧阳娜娜", "杭州市西湖区保俶路 77 号 3 单元 502 室"),
        ("15867102234", "司马光明", "杭州市上城区解放路 18 号 9 楼"),
    ],
}


def ring(*ids: str, keys: dict[str, str], index: str) -> Keyring:
    import base64

    return Keyring({i: base64.b64decode(keys[i]) for i in ids}, ids[0], base64.b64decode(index))


async def stored_values() -> list[tuple[str, str, Any, str]]:
    """Every sealed value as stored: (table, field, tenant, ciphertext)."""
    from core.db import all_tables

    all_tables()  # every domain has registered its sealed columns
    found = []
    async with all_tenants():
        for sealed in privacy.SEALED:
            column = getattr(sealed.table, sealed.column)
            tenant = getattr(sealed.table, "tenant", None)
            columns = [column] + ([tenant] if tenant is not None else [])
            for row in await sealed.table.select(*columns).where(column.is_not_null()):
                found.append(
                    (
                        sealed.table._meta.tablename,
                        sealed.field,
                        row.get("tenant"),
                        row[sealed.column],
                    )
                )
    return found


async def clear_values() -> dict[tuple[str, str], list[str]]:
    """The clear value of everything stored, decrypted with the process keyring."""
    values: dict[tuple[str, str], list[str]] = {}
    for table, field, tenant, stored in await stored_values():
        clear = privacy.unseal(stored, field=field, tenant_id=tenant)
        values.setdefault((table, field), []).append(clear)
    return {key: sorted(found) for key, found in values.items()}


def test_every_encrypted_column_is_covered_by_rotation() -> None:
    """A ``*_enc`` column left off the rotation list would stay under the old key, and become
    unreadable once that key is retired."""
    from core.db import all_tables

    encrypted = {
        (table._meta.tablename, column._meta.name)
        for table in all_tables()  # importing every domain registers its sealed columns
        for column in table._meta.columns
        if column._meta.name.endswith("_enc")
    }
    covered = {(s.table._meta.tablename, s.column) for s in privacy.SEALED}

    assert sorted(encrypted - covered) == []


@pytest.fixture
async def sealed_under_k1(db, tenants, settings):  # type: ignore[no-untyped-def]
    """Customers with numbers, names and addresses in both tenants, and an agency operator,
    all sealed under k1. Yields the key material; the process keyring is restored after."""
    from core.accounts import passwords, profile
    from core.tenancy.service import sync_tenant_rows, tenant_row_id

    keys, index = {"k1": new_key(), "k2": new_key()}, new_key()
    privacy.use_keyring(ring("k1", keys=keys, index=index))
    await sync_tenant_rows(tenants)
    for slug, people in PEOPLE.items():
        tenant_id = await tenant_row_id(slug)
        for phone, name, address in people:
            user = await profile.ensure_customer(tenant_id, phone, name)
            await profile.add_address(user, tenant_id, "家", address)
    some_tenant = await tenant_row_id("jiejia")
    await passwords.create_staff(
        some_tenant, "olga@agency.test", "long enough pw", [], "奥尔加", kind="operator"
    )
    yield keys, index
    privacy.configure(settings)


async def test_rotation_re_encrypts_everything_under_the_new_key_while_readers_read(
    sealed_under_k1: tuple[dict[str, str], str],
) -> None:
    keys, index = sealed_under_k1
    before = await clear_values()
    stored = await stored_values()
    assert stored and all(value.startswith("v1:k1:") for *_, value in stored)

    privacy.use_keyring(ring("k2", "k1", keys=keys, index=index))  # k2 encrypts, k1 still reads
    assert await privacy.pending_rotation() == len(stored)
    reads: list[set[str]] = []
    finished = asyncio.Event()

    async def reader() -> None:
        while not finished.is_set():
            assert await clear_values() == before, "a read during rotation saw a wrong value"
            reads.append({value.split(":")[1] for *_, value in await stored_values()})
            await asyncio.sleep(0)

    async def rotation() -> int:
        try:
            return await privacy.rotate(batch_size=1)
        finally:
            finished.set()

    done, _ = await asyncio.gather(rotation(), reader())

    assert done == len(stored)
    assert any(keys_seen == {"k1", "k2"} for keys_seen in reads), "no read happened mid-rotation"
    after = await stored_values()
    assert all(value.startswith("v1:k2:") for *_, value in after)
    assert await clear_values() == before
    assert await privacy.rotate(batch_size=1) == 0, "a second run has nothing to do"
    assert await privacy.pending_rotation() == 0
    privacy.use_keyring(ring("k2", keys=keys, index=index))  # k1 retired
    assert await clear_values() == before
