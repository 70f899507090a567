"""The scoped query helper: every query on a tenant table carries its tenant, and none runs
without one. Runs on SQLite and on PostgreSQL (where row-level security stands behind it)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from core.catalog.tables import PriceListVersion
from core.db import write_transaction
from core.tenancy.scoped import active_tenant, scoped, tenant_transaction, within_tenant
from core.tenancy.service import sync_tenant_rows, tenant_row_id
from core.tenancy.tables import TenantRow
from core.tenancy.tenant_tables import TenantScopeError, tenant_tables
from tests.tenant_access import all_tenants

pytestmark = pytest.mark.db
WHEN = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def version(number: int, tenant: object = None) -> PriceListVersion:
    return PriceListVersion(
        tenant=tenant,
        number=number,
        effective_at=WHEN,
        source="admin",
        actor="test",
        reason="scope test",
    )


@pytest.fixture
async def ids(db, tenants) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    await sync_tenant_rows(tenants)
    a, b = await tenant_row_id("jiejia"), await tenant_row_id("wanjia")
    assert a and b
    return a, b


async def insert_versions(tenant_id: str, *numbers: int) -> None:
    async with tenant_transaction(tenant_id), write_transaction():
        await scoped(PriceListVersion, tenant_id).insert(*[version(n) for n in numbers])


@pytest.mark.parametrize("missing", [None, "", "jiejia", "not-a-uuid", 42])
def test_no_query_without_a_tenant_scope(missing: object) -> None:
    with pytest.raises(TenantScopeError):
        scoped(PriceListVersion, missing)


def test_a_table_without_a_tenant_column_is_refused() -> None:
    with pytest.raises(TenantScopeError, match="no tenant column"):
        scoped(TenantRow, uuid.uuid4())


def test_shared_rows_only_where_a_null_tenant_means_no_tenant() -> None:
    from core.accounts.tables import User

    assert scoped(User, uuid.uuid4(), with_shared=True).with_shared
    with pytest.raises(TenantScopeError, match="no rows without a tenant"):
        scoped(PriceListVersion, uuid.uuid4(), with_shared=True)


def test_the_tenant_tables_are_found_in_the_table_registry() -> None:
    names = {t._meta.tablename for t in tenant_tables()}

    assert {
        "catalog_price_version",
        "catalog_tier_price",
        "privacy_read_log",
        "accounts_user",
        "accounts_session",
        "accounts_api_token",
        "accounts_otp",
        "accounts_address",
        "accounts_security_event",
    } <= names
    assert "doorstep_tenant" not in names


async def test_each_query_sees_only_its_tenants_rows(ids: tuple[str, str]) -> None:
    a, b = ids
    await insert_versions(a, 1, 2)
    await insert_versions(b, 1)

    async with tenant_transaction(a):
        mine = await scoped(PriceListVersion, a).select(PriceListVersion.number)
        count = await scoped(PriceListVersion, a).count()
        second = await (
            scoped(PriceListVersion, a).objects().where(PriceListVersion.number == 2).first()
        )
    async with tenant_transaction(b):
        theirs = await scoped(PriceListVersion, b).select(PriceListVersion.number)
        exists = await scoped(PriceListVersion, b).exists().where(PriceListVersion.number == 2)

    assert sorted(r["number"] for r in mine) == [1, 2]
    assert count == 2
    assert second is not None and str(second.tenant) == a
    assert [r["number"] for r in theirs] == [1]
    assert exists is False


async def test_updates_and_deletes_touch_only_their_tenants_rows(ids: tuple[str, str]) -> None:
    a, b = ids
    await insert_versions(a, 1)
    await insert_versions(b, 1)

    async with tenant_transaction(a), write_transaction():
        await scoped(PriceListVersion, a).update({PriceListVersion.reason: "changed"})
    async with tenant_transaction(b), write_transaction():
        await scoped(PriceListVersion, b).delete().where(PriceListVersion.number == 1)

    async with all_tenants():
        rows = await PriceListVersion.select(PriceListVersion.tenant, PriceListVersion.reason)
    assert [(str(r["tenant"]), r["reason"]) for r in rows] == [(a, "changed")]


async def test_an_insert_gets_the_scope_tenant_and_refuses_another(ids: tuple[str, str]) -> None:
    a, b = ids
    await insert_versions(a, 1)

    with pytest.raises(TenantScopeError, match="another tenant"):
        scoped(PriceListVersion, a).insert(version(2, tenant=b))
    async with tenant_transaction(a):
        [row] = await scoped(PriceListVersion, a).select(PriceListVersion.tenant)
    assert str(row["tenant"]) == a


async def test_a_query_for_another_tenant_inside_a_tenants_transaction_is_refused(
    ids: tuple[str, str],
) -> None:
    a, b = ids
    async with tenant_transaction(a):
        assert active_tenant() == uuid.UUID(a)
        with pytest.raises(TenantScopeError, match="another tenant"):
            scoped(PriceListVersion, b)
        with pytest.raises(TenantScopeError, match="another tenant"):
            async with tenant_transaction(b):
                pass
        async with tenant_transaction(a):  # re-entrant for the same tenant
            assert await scoped(PriceListVersion, a).count() == 0
    assert active_tenant() is None


async def test_a_service_function_runs_in_its_tenant_id_s_scope(ids: tuple[str, str]) -> None:
    a, _ = ids
    seen = []

    @within_tenant
    async def service(tenant_id: str) -> int:
        seen.append(active_tenant())
        return await scoped(PriceListVersion, tenant_id).count()

    @within_tenant
    async def later(token: str, tenant_id: str | None = None, *, n: int = 0) -> None:
        seen.append(active_tenant())

    assert await service(a) == 0
    assert await service(tenant_id=a) == 0
    await later("t", a)
    await later("t", tenant_id=a, n=1)
    await later(token="t", tenant_id=a)
    await later("t")  # no tenant: no scope
    assert seen == [uuid.UUID(a)] * 5 + [None]
    with pytest.raises(TypeError, match="takes no tenant_id"):
        within_tenant(_no_tenant)


async def test_a_service_function_for_another_tenant_inside_a_tenants_scope_is_refused(
    ids: tuple[str, str],
) -> None:
    a, b = ids
    ran = []

    @within_tenant
    async def service(tenant_id: str) -> None:
        ran.append(tenant_id)

    async with tenant_transaction(a):
        await service(a)  # the scope it is in already
        with pytest.raises(TenantScopeError, match="another tenant"):
            await service(b)
        with pytest.raises(TenantScopeError, match="another tenant"):
            await service(tenant_id=b)
    assert ran == [a]


async def _no_tenant(user_id: str) -> None:
    """A service function without a ``tenant_id`` parameter."""


async def test_errors_keep_what_was_written_before_them(ids: tuple[str, str]) -> None:
    """A tenant transaction is a scope, not a unit of work (as on SQLite, where each
    ``write_transaction`` commits on its own): a failed write block is undone, the rest stays."""
    a, _ = ids

    with pytest.raises(RuntimeError, match="refused"):
        async with tenant_transaction(a):
            async with write_transaction():
                await scoped(PriceListVersion, a).insert(version(1))
            with pytest.raises(ZeroDivisionError):
                async with write_transaction():
                    await scoped(PriceListVersion, a).insert(version(2))
                    1 / 0  # noqa: B018
            raise RuntimeError("refused")

    async with tenant_transaction(a):
        numbers = [r["number"] for r in await scoped(PriceListVersion, a).select()]
    assert numbers == [1]


@pytest.mark.parametrize("commit", [True, False])
async def test_a_checkpoint_ends_the_request_s_transaction_and_its_scope(
    ids: tuple[str, str], pg_cluster: object, commit: bool
) -> None:
    """What the web middleware does at the response's start (PostgreSQL): commit, or roll back
    (a 5xx). The tenant scope ends with it; later work (a background task) opens its own, as
    ``@within_tenant`` services do; a second checkpoint changes nothing."""
    a, _ = ids

    @within_tenant
    async def background(tenant_id: str) -> None:
        assert active_tenant() == uuid.UUID(tenant_id)
        await scoped(PriceListVersion, tenant_id).insert(version(3))

    async with tenant_transaction(a) as transaction:
        await scoped(PriceListVersion, a).insert(version(1))
        await transaction.checkpoint(commit=commit)
        assert active_tenant() is None
        await transaction.checkpoint(commit=not commit)  # once only
        await background(a)

    async with tenant_transaction(a):
        numbers = sorted(r["number"] for r in await scoped(PriceListVersion, a).select())
    assert numbers == ([1, 3] if commit else [3])


async def test_a_tenant_is_found_by_its_slug_for_its_requests(ids: tuple[str, str]) -> None:
    from core.tenancy.scoped import tenant_transaction_of

    a, _ = ids
    async with tenant_transaction_of("jiejia") as transaction:
        assert transaction is not None and transaction.tenant_id == uuid.UUID(a)
        assert active_tenant() == uuid.UUID(a)
        await scoped(PriceListVersion, a).insert(version(1))
    async with tenant_transaction_of("nobody") as nothing:
        assert nothing is None and active_tenant() is None
    async with tenant_transaction(a):
        assert await scoped(PriceListVersion, a).count() == 1
