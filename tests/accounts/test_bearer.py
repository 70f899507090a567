"""A bearer token signs in its user, on its tenant, while both are live: the token and its
user are read in one statement (every API request runs it), and each rule still holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.accounts import profile, signin
from core.accounts.tables import ApiToken, User
from tests.accounts.conftest import WANG, Rows, seen_by

pytestmark = pytest.mark.db


async def _customer_with_token(rows: Rows) -> tuple[str, str]:
    user = await profile.ensure_customer(rows.jiejia, WANG)
    return user, await signin.issue_token(user, rows.jiejia, label="app")


async def test_a_token_signs_in_its_user_with_their_kind_and_roles(rows: Rows) -> None:
    user, token = await _customer_with_token(rows)
    await seen_by(rows.jiejia, User.update({User.roles: "support,safety"}).where(User.id == user))

    found = await signin.token_user(token, rows.jiejia)

    assert found is not None
    assert (found.id, found.tenant_id, found.kind, found.via) == (
        user,
        rows.jiejia,
        "customer",
        "token",
    )
    assert found.roles == ("support", "safety")


@pytest.mark.parametrize("column", ["disabled_at", "deleted_at"])
async def test_the_token_of_a_disabled_or_deleted_user_signs_in_nobody(
    rows: Rows, column: str
) -> None:
    """The user's row alone says so (the token itself is still live)."""
    user, token = await _customer_with_token(rows)
    stamp = datetime.now(UTC)
    await seen_by(rows.jiejia, User.update({getattr(User, column): stamp}).where(User.id == user))

    assert await signin.token_user(token, rows.jiejia) is None


async def test_a_revoked_or_expired_token_signs_in_nobody(rows: Rows) -> None:
    _, revoked = await _customer_with_token(rows)
    stamp = datetime.now(UTC)
    await seen_by(rows.jiejia, ApiToken.update({ApiToken.revoked_at: stamp}, force=True))
    assert await signin.token_user(revoked, rows.jiejia) is None

    _, live = await _customer_with_token(rows)
    later = datetime.now(UTC) + timedelta(days=3650)
    assert await signin.token_user(live, rows.jiejia) is not None
    assert await signin.token_user(live, rows.jiejia, now=later) is None


async def test_a_token_is_refused_on_another_tenant(rows: Rows) -> None:
    _, token = await _customer_with_token(rows)

    assert await signin.token_user(token, rows.wanjia) is None
    assert await signin.token_user("not-a-token", rows.jiejia) is None


async def test_holding_a_token_shows_its_row_for_the_lookup_only(
    rows: Rows, engine_name: str
) -> None:
    """PostgreSQL row security: on another tenant's connection, the token's row is visible
    inside ``secret_lookup`` of its hash (so a foreign token is told from an unknown one), and
    not before or after it."""
    from core.accounts.signin import _hash_secret
    from core.tenancy.scoped import secret_lookup, tenant_transaction
    from core.tenancy.tenant_tables import TenantScopeError

    _, token = await _customer_with_token(rows)
    token_hash = _hash_secret(token)
    found = ApiToken.count().where(ApiToken.token_hash == token_hash)
    async with tenant_transaction(rows.wanjia):
        before = await found
        async with secret_lookup(token_hash):
            during = await found
            with pytest.raises(TenantScopeError):
                async with secret_lookup(token_hash):
                    pass
        after = await found
    if engine_name == "postgres":
        assert (before, during, after) == (0, 1, 0)
    else:  # no row security: the scoped helper is SQLite's wall
        assert during == 1
