"""Work left for just before a request's transaction commits (``before_commit``), and its one
user: the matching version bump, made once per request on PostgreSQL.

Every booking of a tenant updates the tenant's one ``matching_version`` row, which stays
locked until its transaction commits. Bumped in the middle of a request, the row was locked
for the rest of it, and the tenant's bookings waited for each other's whole requests.

PostgreSQL only (``pytest -m db --engine=postgres``): on SQLite there is no transaction a
request owns (the single writer commits each write), and the bump is made at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from core.commit_hooks import before_commit
from core.matching.version import bump_matching_version, matching_version
from core.tenancy.scoped import tenant_transaction_of
from core.tenancy.service import sync_tenant_rows, tenant_row_id
from tests.pg_cluster import ThrowawayCluster

pytestmark = pytest.mark.db

P1, P2 = "00000000-0000-7000-8000-000000000001", "00000000-0000-7000-8000-000000000002"


@pytest.fixture
async def jiejia_id(db: None, tenants: Any, pg_cluster: ThrowawayCluster) -> str:
    await sync_tenant_rows(tenants)
    found = await tenant_row_id("jiejia")
    assert found is not None
    return str(found)


@pytest.fixture
async def owner(pg_cluster: ThrowawayCluster) -> AsyncIterator[asyncpg.Connection]:
    """Another session, as the superuser (row security does not apply: it sees every row)."""
    connection = await asyncpg.connect(pg_cluster.superuser_dsn)
    yield connection
    await connection.close()


async def version_rows(owner: asyncpg.Connection, tenant_id: str) -> tuple[int, set[Any]]:
    version = await owner.fetchval(
        "SELECT version FROM matching_version WHERE tenant = $1", tenant_id
    )
    changes = await owner.fetch(
        "SELECT version, CAST(provider AS TEXT) AS provider, holds FROM matching_change "
        "WHERE tenant = $1",
        tenant_id,
    )
    return version or 0, {(r["version"], r["provider"], r["holds"]) for r in changes}


async def test_a_requests_bumps_are_one_version_made_as_it_commits(
    jiejia_id: str, owner: asyncpg.Connection
) -> None:
    async with tenant_transaction_of("jiejia"):
        await bump_matching_version(jiejia_id)  # the tenant's row exists
    before, _ = await version_rows(owner, jiejia_id)

    async with tenant_transaction_of("jiejia"):
        await bump_matching_version(jiejia_id, P1, holds=True)
        await bump_matching_version(jiejia_id, P2)
        await bump_matching_version(jiejia_id, P1, holds=True)
        # Nothing yet: the row is not even locked (another session bumps without waiting).
        await owner.execute("SET lock_timeout = '200ms'")
        await owner.execute(
            "UPDATE matching_version SET version = version + 1 WHERE tenant = $1", jiejia_id
        )
        assert (await version_rows(owner, jiejia_id))[0] == before + 1

    version, changes = await version_rows(owner, jiejia_id)
    assert version == before + 2
    assert {c for c in changes if c[0] > before} == {
        (before + 2, P1, True),
        (before + 2, P2, False),
    }


async def test_a_bump_naming_nobody_is_kept_as_such(
    jiejia_id: str, owner: asyncpg.Connection
) -> None:
    before, _ = await version_rows(owner, jiejia_id)

    async with tenant_transaction_of("jiejia"):
        await bump_matching_version(jiejia_id)

    assert await version_rows(owner, jiejia_id) == (before + 1, {(before + 1, None, False)})


async def test_outside_a_request_the_bump_is_made_at_once(
    jiejia_id: str, owner: asyncpg.Connection
) -> None:
    from core.db import write_transaction
    from core.tenancy.scoped import tenant_transaction

    before, _ = await version_rows(owner, jiejia_id)
    async with write_transaction(), tenant_transaction(jiejia_id):
        assert before_commit("probe", dict) is None
        await bump_matching_version(jiejia_id, P1)
        found = await matching_version(jiejia_id)  # made now, in this transaction
        assert found is not None and found[1] == before + 1

    assert await version_rows(owner, jiejia_id) == (before + 1, {(before + 1, P1, False)})


async def test_work_left_for_the_commit_is_done_once_and_not_after_a_rollback(
    jiejia_id: str,
) -> None:
    done: list[str] = []

    class Note:
        async def flush(self) -> None:
            done.append("flushed")

    async with tenant_transaction_of("jiejia") as transaction:
        assert transaction is not None
        first = before_commit("note", Note)
        assert first is not None and before_commit("note", Note) is first
        await transaction.checkpoint(commit=True)
        assert before_commit("note", Note) is None  # ended: later work is done at once
    assert done == ["flushed"]

    async with tenant_transaction_of("jiejia") as transaction:
        assert transaction is not None
        assert before_commit("note", Note) is not None
        await transaction.checkpoint(commit=False)
    assert done == ["flushed"]


async def test_the_bump_goes_to_the_server_in_the_commits_own_message(
    jiejia_id: str, owner: asyncpg.Connection
) -> None:
    """The tenant's version row is locked by the bump until the commit: sent together, it is
    locked for the server's time alone, not also for a round trip and this task's next turn."""
    from core.tenancy.scoped import _engine

    before, _ = await version_rows(owner, jiejia_id)
    sent: list[str] = []

    def log(logged: Any) -> None:
        sent.append(logged.query)

    async with tenant_transaction_of("jiejia"):
        connection = _engine().current_transaction.get().connection
        connection.add_query_logger(log)
        await bump_matching_version(jiejia_id, P1, holds=True)
    connection.remove_query_logger(log)

    with_commit = [q for q in sent if "COMMIT" in q]
    assert len(with_commit) == 1 and "INSERT INTO matching_version" in with_commit[0]
    assert not [q for q in sent if "matching_version" in q and "COMMIT" not in q]
    assert await version_rows(owner, jiejia_id) == (before + 1, {(before + 1, P1, True)})
    assert not connection.is_in_transaction()


async def test_a_bump_the_server_refuses_commits_nothing_and_the_connection_goes_on(
    jiejia_id: str, owner: asyncpg.Connection
) -> None:
    """Sent with the COMMIT, a refused bump (here another tenant's row, which row security
    refuses) leaves the transaction aborted: the COMMIT after it does not run, nothing of the
    transaction is stored, the error reaches the caller, and the next transaction goes on."""
    from core.tenancy.scoped import _engine

    other = await tenant_row_id("wanjia")
    assert other is not None
    before, _ = await version_rows(owner, jiejia_id)

    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with tenant_transaction_of("jiejia"):
            connection = _engine().current_transaction.get().connection
            await bump_matching_version(jiejia_id, P1, holds=True)
            await bump_matching_version(other, P2)

    version, changes = await version_rows(owner, jiejia_id)
    assert version == before and not [c for c in changes if c[0] > before]
    assert not connection.is_in_transaction()  # rolled back, not left aborted for the pool
    async with tenant_transaction_of("jiejia"):
        await bump_matching_version(jiejia_id, P2)
    assert (await version_rows(owner, jiejia_id))[0] == before + 1


async def test_bumps_sent_with_the_commit_prune_the_old_change_rows(
    jiejia_id: str, owner: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every ``PRUNE_EVERY`` versions the rows older than ``KEEP_VERSIONS`` go, in the same
    statement as the bump."""
    monkeypatch.setattr("core.matching.version.PRUNE_EVERY", 3)
    monkeypatch.setattr("core.matching.version.KEEP_VERSIONS", 2)
    for _ in range(7):
        async with tenant_transaction_of("jiejia"):
            await bump_matching_version(jiejia_id, P1)

    version, changes = await version_rows(owner, jiejia_id)
    last_pruned_at = version - version % 3
    assert min(c[0] for c in changes) == last_pruned_at - 2 + 1
    assert max(c[0] for c in changes) == version
