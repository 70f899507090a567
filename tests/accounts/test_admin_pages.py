"""The tenant admin's user list and audit log: masked values, roles, disabling."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from core.accounts import passwords, profile, signin
from core.accounts.tables import SecurityEvent, User
from core.notifications.channels import DevInbox
from core.tenancy.scoped import tenant_transaction
from tests.accounts.conftest import WANG, Rows, Visitor
from tests.log_guard import MOBILE

pytestmark = pytest.mark.db
PASSWORD = "correct horse battery"


async def staff(rows: Rows, email: str, roles: list[str], tenant: str = "") -> str:
    return await passwords.create_staff(
        tenant or rows.jiejia, email, PASSWORD, roles, name="周海涛"
    )


def staff_sign_in(visitor: Visitor, email: str) -> None:
    signed = visitor.post_form(
        "/staff/signin",
        "/staff/signin",
        {"email": email, "password": PASSWORD},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text


@pytest.fixture
async def admin(rows: Rows, another_visitor: Visitor) -> Visitor:
    await staff(rows, "admin@jiejia.test", ["admin"])
    staff_sign_in(another_visitor, "admin@jiejia.test")
    return another_visitor


def user_card(html: str, text: str) -> str:
    """The user list's card that shows ``text``."""
    for card in html.split('<li class="user-card')[1:]:
        if text in card:
            return card
    raise AssertionError(f"no card shows {text!r}")


async def test_the_user_list_shows_only_masked_values(rows: Rows, admin: Visitor) -> None:
    await profile.ensure_customer(rows.jiejia, WANG, "王小明")

    page = admin.get("/admin/users")

    assert page.status_code == 200
    card = user_card(page.text, "138****1234")
    assert "王**" in card and "客户" in card and "正常" in card
    assert WANG not in page.text and "王小明" not in page.text
    assert "a***@jiejia.test" in page.text and "admin@jiejia.test" not in page.text
    assert "周海涛" not in page.text and "周**" in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_only_admins_see_the_user_list(rows: Rows, visitor: Visitor, inbox: DevInbox) -> None:
    anonymous = visitor.get("/admin/users", follow_redirects=False)
    assert anonymous.status_code in (302, 303)
    assert anonymous.headers["location"].startswith("/staff/signin")

    await staff(rows, "support@jiejia.test", ["support"])
    staff_sign_in(visitor, "support@jiejia.test")
    assert visitor.get("/admin/users").status_code == 403
    assert visitor.get("/admin/audit").status_code == 403


async def test_a_customer_does_not_see_the_user_list(
    rows: Rows, visitor: Visitor, inbox: DevInbox
) -> None:
    visitor.sign_in(WANG, inbox)

    assert visitor.get("/admin/users").status_code == 403


async def test_disabling_a_customer_ends_their_sessions_and_tokens_at_once(
    rows: Rows, visitor: Visitor, admin: Visitor, app, inbox: DevInbox
) -> None:  # type: ignore[no-untyped-def]
    visitor.sign_in(WANG, inbox)
    async with tenant_transaction(rows.jiejia):
        customer = str((await User.select(User.id).where(User.kind == "customer").first())["id"])  # type: ignore[index]
    token = await signin.issue_token(customer, rows.jiejia, "phone")
    other_session = await signin.start_session(customer, rows.jiejia)
    assert visitor.get("/account").status_code == 200

    done = admin.post_form(
        "/admin/users", f"/admin/users/{customer}/disable", {}, follow_redirects=False
    )

    assert done.status_code == 303 and done.headers["location"] == "/admin/users?done=disabled"
    assert visitor.get("/account", follow_redirects=False).status_code in (302, 303)
    assert await signin.session_user(other_session, rows.jiejia) is None
    with TestClient(app, base_url="http://jiejia.localhost") as api:
        assert (
            api.get("/api/v1/me", headers={"authorization": f"Bearer {token}"}).status_code == 401
        )
    assert "已停用" in user_card(admin.get("/admin/users").text, "138****1234")

    enabled = admin.post_form(
        "/admin/users", f"/admin/users/{customer}/enable", {}, follow_redirects=False
    )
    assert enabled.headers["location"] == "/admin/users?done=enabled"
    async with tenant_transaction(rows.jiejia):
        kinds = {e["kind"] for e in await SecurityEvent.select(SecurityEvent.kind)}
    assert {"user_disabled", "user_enabled"} <= kinds


async def test_an_admin_changes_roles_and_smuggled_fields_are_ignored(
    rows: Rows, admin: Visitor
) -> None:
    dispatcher = await staff(rows, "dispatch@jiejia.test", ["dispatcher"])

    saved = admin.post_form(
        "/admin/users",
        f"/admin/users/{dispatcher}/roles",
        {"role": ["dispatcher", "support"], "tenant": rows.wanjia, "kind": "operator"},
        follow_redirects=False,
    )

    assert saved.headers["location"] == "/admin/users?done=roles"
    async with tenant_transaction(rows.jiejia):
        row = (
            await User.select(User.roles, User.kind, User.tenant)
            .where(User.id == dispatcher)
            .first()
        )
    assert row is not None
    assert (row["roles"], row["kind"], str(row["tenant"])) == (
        "dispatcher,support",
        "staff",
        rows.jiejia,
    )


async def test_unknown_roles_and_locking_yourself_out_are_refused(
    rows: Rows, admin: Visitor
) -> None:
    helper = await staff(rows, "helper@jiejia.test", ["support"])
    async with tenant_transaction(rows.jiejia):
        me = str((await User.select(User.id).where(User.roles == "admin").first())["id"])  # type: ignore[index]

    unknown = admin.post_form(
        "/admin/users", f"/admin/users/{helper}/roles", {"role": ["superuser"]}
    )
    assert unknown.status_code == 400 and "角色：unknown role(s): superuser" in unknown.text

    demote = admin.post_form("/admin/users", f"/admin/users/{me}/roles", {"role": ["support"]})
    assert demote.status_code == 400 and "角色：不能取消自己的管理员角色" in demote.text

    disable_me = admin.post_form("/admin/users", f"/admin/users/{me}/disable", {})
    assert disable_me.status_code == 400 and "账户：不能停用自己的账户" in disable_me.text
    async with tenant_transaction(rows.jiejia):
        assert (await User.select(User.roles).where(User.id == me).first()) == {"roles": "admin"}


async def test_another_tenants_account_is_not_found(rows: Rows, admin: Visitor) -> None:
    foreign = await profile.ensure_customer(rows.wanjia, WANG, "刘洋")

    for action in ("disable", "enable", "roles"):
        answer = admin.post_form(
            "/admin/users", f"/admin/users/{foreign}/{action}", {"role": "admin"}
        )
        assert answer.status_code == 404, action
    assert admin.post_form("/admin/users", "/admin/users/nonsense/disable", {}).status_code == 404
    assert "刘" not in admin.get("/admin/users").text
    async with tenant_transaction(rows.wanjia):
        row = await User.select(User.disabled_at).where(User.id == foreign).first()
    assert row == {"disabled_at": None}


async def test_the_audit_log_shows_reads_and_security_events(
    rows: Rows, admin: Visitor, visitor: Visitor, inbox: DevInbox
) -> None:
    visitor.sign_in(WANG, inbox)
    visitor.post_form("/account", "/account/export", {})
    visitor.post_form(
        "/staff/signin", "/staff/signin", {"email": "x@y.test", "password": "nope nope nope"}
    )

    page = admin.get("/admin/audit")

    assert page.status_code == 200
    assert "user.phone" in page.text and "personal data export" in page.text
    assert "staff_sign_in_failed" in page.text
    assert WANG not in page.text and not MOBILE.search(page.text)
