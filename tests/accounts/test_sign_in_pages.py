"""Signing in on the tenant site: a number, consent, a code, a session; and signing out."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest
import yaml
from litestar.testing import TestClient

from core.accounts import passwords, profile, service, signin, users
from core.accounts.schemas import STAFF_ROLES
from core.accounts.tables import OneTimeCode, SecurityEvent, Session, User
from core.notifications.channels import DevInbox
from core.tenancy.scoped import tenant_transaction
from tests.accounts.conftest import STRANGER, WANG, WANG_E164, Rows, Visitor, csrf_of, seen_by
from tests.conftest import ROOT

pytestmark = pytest.mark.db


def comparable(html: str) -> str:
    """A page without what legitimately differs between two visitors: CSRF tokens and the
    number they typed (the clear one in a hidden field, the masked one in the text)."""
    html = re.sub(r'name="_csrf_token" value="[^"]+"', "", html)
    html = re.sub(r'name="phone" value="[^"]*"', "", html)
    return re.sub(r"1[3-9]\d\*{4}\d{4}", "MASKED", html)


def set_cookie_of(response, name: str) -> str:  # type: ignore[no-untyped-def]
    cookies = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    found = [c for c in cookies if c.startswith(f"{name}=")]
    assert found, cookies
    return found[0]


async def test_the_sign_in_page_asks_for_a_number_and_consent(rows: Rows, visitor: Visitor) -> None:
    page = visitor.get("/signin")

    assert page.status_code == 200
    assert 'name="phone"' in page.text and 'type="tel"' in page.text
    assert 'name="consent"' in page.text and 'href="/privacy"' in page.text
    assert "《个人信息保护说明》" in page.text
    assert csrf_of(page.text)


async def test_code_sent_is_the_same_answer_for_known_and_unknown_numbers(
    rows: Rows, visitor: Visitor, another_visitor: Visitor, inbox: DevInbox
) -> None:
    await profile.ensure_customer(rows.jiejia, WANG, "王小明")

    known = visitor.request_code(WANG)
    unknown = another_visitor.request_code(STRANGER)

    assert known.status_code == unknown.status_code == 200
    assert "验证码已发送至 138****1234，10 分钟内有效。" in known.text
    assert "验证码已发送至 139****5730，10 分钟内有效。" in unknown.text
    assert comparable(known.text) == comparable(unknown.text)
    assert inbox.code_for("jiejia", WANG_E164) and inbox.code_for("jiejia", "+86" + STRANGER)


async def test_the_code_signs_in_with_a_safe_session_cookie(
    rows: Rows, visitor: Visitor, inbox: DevInbox
) -> None:
    signed = visitor.sign_in(WANG, inbox)

    assert signed.status_code == 303
    assert signed.headers["location"] == "/account"
    cookie = set_cookie_of(signed, "doorstep_session")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie or "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie, "jiejia.localhost is a development host"
    page = visitor.get("/account")
    assert page.status_code == 200
    assert "138****1234" in page.text
    assert WANG not in page.text
    async with tenant_transaction(rows.jiejia):
        user = await User.select().first()
    assert user is not None and user["consent_version"] == users.CONSENT_VERSION


async def test_the_session_cookie_is_secure_on_a_real_host(
    rows: Rows, settings, plugins, tmp_path: Path, inbox: DevInbox
) -> None:  # type: ignore[no-untyped-def]
    from core.web.app import create_app

    tenants_dir = tmp_path / "tenants"
    shutil.copytree(ROOT / "tenants", tenants_dir)
    path = tenants_dir / "jiejia.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["hosts"] = ["www.jiejia.example", "jiejia.localhost"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    app = create_app(
        settings=dataclasses.replace(settings, tenants_dir=tenants_dir), plugins=plugins
    )

    with TestClient(app, base_url="https://www.jiejia.example") as client:
        signed = Visitor(client).sign_in(WANG, inbox)

    assert signed.status_code == 303
    cookie = set_cookie_of(signed, "doorstep_session")
    assert "Secure" in cookie and "HttpOnly" in cookie


async def test_a_malformed_number_is_refused_in_place_naming_the_field(
    rows: Rows, visitor: Visitor
) -> None:
    page = visitor.request_code("12345")

    assert page.status_code == 400
    assert "手机号码：不是有效的手机号码" in page.text
    assert 'aria-invalid="true" aria-describedby="err-phone"' in page.text
    assert 'value="12345"' in page.text, "what was typed stays in the field"
    async with tenant_transaction(rows.jiejia):
        assert await OneTimeCode.count() == 0


async def test_no_code_without_consent(rows: Rows, visitor: Visitor) -> None:
    page = visitor.request_code(WANG, consent=False)

    assert page.status_code == 400
    assert "同意说明：请先阅读并勾选同意《个人信息保护说明》" in page.text
    async with tenant_transaction(rows.jiejia):
        assert await OneTimeCode.count() == 0


async def test_asking_again_too_soon_says_how_many_seconds_to_wait(
    rows: Rows, visitor: Visitor, inbox: DevInbox
) -> None:
    assert visitor.request_code(WANG).status_code == 200

    again = visitor.request_code(WANG)

    assert again.status_code == 429
    seconds = re.search(r"验证码请求过于频繁，请 (\d+) 秒后再试。", again.text)
    assert seconds and 55 <= int(seconds.group(1)) <= 60


async def test_a_wrong_code_is_refused_in_place(
    rows: Rows, visitor: Visitor, inbox: DevInbox
) -> None:
    visitor.request_code(WANG)
    code = inbox.code_for("jiejia", WANG_E164)
    assert code
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    page = visitor.post_form("/signin", "/signin/code", {"phone": WANG, "code": wrong})

    assert page.status_code == 400
    assert "验证码：验证码错误或已过期，请重新获取" in page.text
    assert visitor.session is None


async def test_signing_in_again_rotates_the_session(
    rows: Rows, visitor: Visitor, app, inbox: DevInbox
) -> None:  # type: ignore[no-untyped-def]
    visitor.sign_in(WANG, inbox)
    first = visitor.session
    inbox.clear()
    async with tenant_transaction(rows.jiejia):
        await OneTimeCode.update(
            {OneTimeCode.created_at: service.now_utc().replace(year=2020)}
        ).where(OneTimeCode.id.is_not_null())

    visitor.sign_in(WANG, inbox)

    second = visitor.session
    assert first and second and first != second
    assert await signin.session_user(first, rows.jiejia) is None
    assert await signin.session_user(second, rows.jiejia) is not None
    with TestClient(
        app, base_url="http://jiejia.localhost", cookies={"doorstep_session": first}
    ) as old:
        assert old.get("/account", follow_redirects=False).status_code in (302, 303)


async def test_sign_out_ends_the_session(
    rows: Rows, visitor: Visitor, app, inbox: DevInbox
) -> None:  # type: ignore[no-untyped-def]
    visitor.sign_in(WANG, inbox)
    token = visitor.session
    assert token

    out = visitor.post_form("/account", "/signout", {}, follow_redirects=False)

    assert out.status_code == 303 and out.headers["location"] == "/"
    assert visitor.session is None
    assert await signin.session_user(token, rows.jiejia) is None
    with TestClient(
        app, base_url="http://jiejia.localhost", cookies={"doorstep_session": token}
    ) as old:
        page = old.get("/account", follow_redirects=False)
    assert page.status_code in (302, 303) and page.headers["location"].startswith("/signin")


async def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    rows: Rows, visitor: Visitor, inbox: DevInbox
) -> None:
    visitor.get("/signin")

    refused = visitor.client.post("/signin", data={"phone": WANG, "consent": "yes"})

    assert refused.status_code == 403
    async with tenant_transaction(rows.jiejia):
        assert await OneTimeCode.count() == 0
        assert await SecurityEvent.count().where(SecurityEvent.kind == "csrf_rejected") == 1

    visitor.sign_in(WANG, inbox)
    refused = visitor.client.post(
        "/account/addresses", data={"label": "家", "address": "上海市浦东新区世纪大道100号"}
    )
    assert refused.status_code == 403
    assert (
        "家" not in visitor.get("/account").text.split("addresses-title")[1].split("add-address")[0]
    )


async def test_the_header_offers_sign_in_then_the_account_menu(
    rows: Rows, visitor: Visitor, inbox: DevInbox
) -> None:
    home = visitor.get("/")
    assert 'href="/signin?next=/"' in home.text or 'href="/signin?next=%2F"' in home.text
    assert "我的账户" not in home.text

    visitor.sign_in(WANG, inbox)

    home = visitor.get("/")
    assert "我的账户" in home.text and 'action="/signout"' in home.text


async def test_the_dev_codes_page_does_not_exist_outside_demo_mode(
    rows: Rows, visitor: Visitor
) -> None:
    assert visitor.get("/dev/codes").status_code == 404


async def test_the_dev_codes_page_shows_masked_numbers_in_demo_mode(
    rows: Rows, settings, plugins, tenants, inbox: DevInbox
) -> None:  # type: ignore[no-untyped-def]
    from core.web.app import create_app

    app = create_app(
        settings=dataclasses.replace(settings, demo=True), plugins=plugins, tenants=tenants
    )
    with TestClient(app, base_url="http://jiejia.localhost") as client:
        sent = Visitor(client).request_code(WANG)
        assert "查看验证码" in sent.text
        page = client.get("/dev/codes")

    code = inbox.code_for("jiejia", WANG_E164)
    assert page.status_code == 200
    assert "138****1234" in page.text and code and code in page.text
    assert WANG not in page.text


async def test_staff_sign_in_gives_one_answer_for_unknown_email_and_wrong_password(
    rows: Rows, visitor: Visitor, another_visitor: Visitor
) -> None:
    await passwords.create_staff(
        rows.jiejia, "admin@jiejia.test", "correct horse battery", ["admin"]
    )

    unknown = visitor.post_form(
        "/staff/signin",
        "/staff/signin",
        {"email": "nobody@jiejia.test", "password": "correct horse battery"},
    )
    wrong = another_visitor.post_form(
        "/staff/signin",
        "/staff/signin",
        {"email": "admin@jiejia.test", "password": "wrong horse battery"},
    )

    assert unknown.status_code == wrong.status_code == 400
    assert "邮箱：邮箱或密码错误" in unknown.text
    # the pages differ only in the values: the CSRF token and the email as typed
    assert re.sub(r'value="[^"]*"', "", unknown.text) == re.sub(r'value="[^"]*"', "", wrong.text)
    assert visitor.session is None and another_visitor.session is None

    right = visitor.post_form(
        "/staff/signin",
        "/staff/signin",
        {"email": "Admin@Jiejia.test ", "password": "correct horse battery"},
        follow_redirects=False,
    )
    assert right.status_code == 303 and right.headers["location"] == "/admin/users"
    assert visitor.session


async def test_a_role_or_tenant_smuggled_into_a_form_changes_nothing(
    rows: Rows, visitor: Visitor, inbox: DevInbox
) -> None:
    visitor.sign_in(WANG, inbox)

    saved = visitor.post_form(
        "/account",
        "/account/name",
        {
            "name": "王小明",
            "roles": "admin",
            "role": "admin",
            "kind": "staff",
            "tenant": rows.wanjia,
        },
        follow_redirects=False,
    )

    assert saved.status_code == 303
    async with tenant_transaction(rows.jiejia):
        user = await User.select(User.kind, User.roles, User.tenant).first()
    assert user == {"kind": "customer", "roles": "", "tenant": user and user["tenant"]}
    assert str(user["tenant"]) == rows.jiejia
    page = visitor.get("/account")
    assert 'value="王小明"' in page.text and "/admin/users" not in page.text
    assert await seen_by(rows.jiejia, Session.count()) >= 1


async def test_staff_of_every_role_sign_in_with_a_password_kept_as_an_argon2_hash(
    rows: Rows, visitor: Visitor
) -> None:
    for n, role in enumerate(STAFF_ROLES):
        await passwords.create_staff(rows.jiejia, f"s{n}@jiejia.test", f"long password {n}", [role])

    async with tenant_transaction(rows.jiejia):
        stored = await User.select(User.roles, User.password_hash).where(User.kind == "staff")
    assert sorted(r["roles"] for r in stored) == sorted(STAFF_ROLES)
    for row in stored:
        assert row["password_hash"].startswith("$argon2id$")
        assert "long password" not in row["password_hash"]
    for n, _role in enumerate(STAFF_ROLES):
        assert await passwords.check_password(
            rows.jiejia, f"s{n}@jiejia.test", f"long password {n}"
        )


async def test_an_agency_operator_signs_in_on_every_tenants_host(
    rows: Rows, visitor: Visitor, wanjia_visitor: Visitor
) -> None:
    operator = await passwords.create_staff(
        None, "ops@agency.test", "correct horse battery", [], "赵丽", kind="operator"
    )

    for browser, tenant_id in ((visitor, rows.jiejia), (wanjia_visitor, rows.wanjia)):
        done = browser.post_form(
            "/staff/signin",
            "/staff/signin",
            {"email": "ops@agency.test", "password": "correct horse battery"},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        session = browser.session
        assert session is not None
        assert (await signin.session_user(session, tenant_id)).id == operator  # type: ignore[union-attr]
    # each session works on the host it was made on only
    assert await signin.session_user(visitor.session or "", rows.wanjia) is None
