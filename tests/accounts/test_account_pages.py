"""The account page: name, address book (家, 公司...), data export and account deletion."""

from __future__ import annotations

import json
import re

import pytest

from core.accounts import signin, users
from core.accounts.tables import Address, ApiToken, OneTimeCode, Session, User
from core.notifications.channels import DevInbox
from core.privacy.tables import PersonalDataRead
from core.tenancy.scoped import tenant_transaction
from tests.accounts.conftest import WANG, WANG_E164, Rows, Visitor

pytestmark = pytest.mark.db
HOME = "上海市浦东新区锦绣路1001弄 5号楼1202室"
OFFICE = "上海市浦东新区世纪大道100号 38楼"
UNKNOWN = "上海市浦东新区某某路999号 1室"


def address_ids(html: str) -> list[str]:
    return re.findall(r'href="/account/addresses/([0-9a-f-]{36})"', html)


@pytest.fixture
async def signed_in(rows: Rows, visitor: Visitor, inbox: DevInbox) -> Visitor:
    assert visitor.sign_in(WANG, inbox).status_code == 303
    return visitor


def add(visitor: Visitor, label: str, text: str, default: bool = False):  # type: ignore[no-untyped-def]
    data = {"label": label, "address": text, **({"default": "yes"} if default else {})}
    return visitor.post_form("/account", "/account/addresses", data, follow_redirects=False)


async def test_the_account_page_needs_a_sign_in(rows: Rows, visitor: Visitor) -> None:
    page = visitor.get("/account", follow_redirects=False)

    assert page.status_code in (302, 303)
    assert page.headers["location"] == "/signin?next=%2Faccount"


async def test_adding_home_saves_it_encrypted_with_its_point(
    rows: Rows, signed_in: Visitor
) -> None:
    saved = add(signed_in, "家", HOME)

    assert saved.status_code == 303 and saved.headers["location"] == "/account?done=address"
    page = signed_in.get(saved.headers["location"])
    assert "地址已保存。" in page.text
    assert "家" in page.text and "锦绣路1001弄 5号楼1202室" in page.text
    assert "默认" in page.text and "未定位" not in page.text
    async with tenant_transaction(rows.jiejia):
        row = await Address.select().first()
    assert row is not None
    assert row["label"] == "家" and row["district"] == "浦东新区" and row["is_default"]
    assert row["text_enc"].startswith("v1:") and "锦绣路" not in row["text_enc"]
    assert (
        row["point_enc"] and row["point_enc"].startswith("v1:") and "31.2" not in row["point_enc"]
    )


async def test_an_address_no_geocoder_knows_is_saved_without_a_point(
    rows: Rows, signed_in: Visitor
) -> None:
    saved = add(signed_in, "家", UNKNOWN)

    assert saved.headers["location"] == "/account?done=address&unlocated=1"
    page = signed_in.get(saved.headers["location"])
    assert "未能在地图上定位该地址。" in page.text
    assert "未定位" in page.text
    async with tenant_transaction(rows.jiejia):
        row = await Address.select().first()
    assert row is not None and row["point_enc"] is None and row["district"] == "浦东新区"


async def test_one_default_address_at_a_time(rows: Rows, signed_in: Visitor) -> None:
    add(signed_in, "家", HOME)
    add(signed_in, "公司", OFFICE)
    _home, office_id = address_ids(signed_in.get("/account").text)

    made = signed_in.post_form(
        "/account", f"/account/addresses/{office_id}/default", {}, follow_redirects=False
    )

    assert made.headers["location"] == "/account?done=default"
    async with tenant_transaction(rows.jiejia):
        defaults = await Address.select(Address.label).where(Address.is_default == True)  # noqa: E712
    assert defaults == [{"label": "公司"}]
    assert address_ids(signed_in.get("/account").text)[0] == office_id, (
        "the default is listed first"
    )


async def test_editing_and_deleting_an_address(rows: Rows, signed_in: Visitor) -> None:
    add(signed_in, "家", HOME)
    add(signed_in, "公司", OFFICE)
    home_id, office_id = address_ids(signed_in.get("/account").text)

    form = signed_in.get(f"/account/addresses/{office_id}")
    assert form.status_code == 200 and "世纪大道100号 38楼" in form.text
    edited = signed_in.post_form(
        f"/account/addresses/{office_id}",
        f"/account/addresses/{office_id}",
        {"label": "新公司", "address": "上海市静安区南京西路1266号 22楼"},
        follow_redirects=False,
    )
    assert edited.headers["location"] == "/account?done=address"
    assert "南京西路1266号 22楼" in signed_in.get("/account").text
    async with tenant_transaction(rows.jiejia):
        row = await Address.select().where(Address.label == "新公司").first()
    assert row is not None and row["district"] == "静安区"

    removed = signed_in.post_form(
        "/account", f"/account/addresses/{home_id}/delete", {}, follow_redirects=False
    )
    assert removed.headers["location"] == "/account?done=removed"
    async with tenant_transaction(rows.jiejia):
        left = await Address.select(Address.label, Address.is_default)
    assert left == [{"label": "新公司", "is_default": True}], "the remaining address became default"


async def test_a_label_too_long_is_refused_naming_the_field(rows: Rows, signed_in: Visitor) -> None:
    page = add(signed_in, "我在浦东的那套靠近地铁站的大房子和它的车库和花园", HOME)

    assert page.status_code == 400
    assert "地址名称：最多 20 个字" in page.text
    assert HOME in page.text, "what was typed stays in the form"
    async with tenant_transaction(rows.jiejia):
        assert await Address.count() == 0


async def test_someone_elses_address_is_not_found(
    rows: Rows, signed_in: Visitor, another_visitor: Visitor, inbox: DevInbox
) -> None:
    add(signed_in, "家", HOME)
    (home_id,) = address_ids(signed_in.get("/account").text)
    another_visitor.sign_in("13916285730", inbox)

    assert another_visitor.get(f"/account/addresses/{home_id}").status_code == 404
    deleted = another_visitor.post_form("/account", f"/account/addresses/{home_id}/delete", {})
    assert deleted.status_code == 404
    assert another_visitor.get("/account/addresses/not-a-uuid").status_code == 404
    async with tenant_transaction(rows.jiejia):
        assert await Address.count() == 1


async def test_the_export_holds_the_persons_data_and_is_logged(
    rows: Rows, signed_in: Visitor
) -> None:
    signed_in.post_form("/account", "/account/name", {"name": "王小明"})
    add(signed_in, "家", HOME)

    export = signed_in.post_form("/account", "/account/export", {})

    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/json")
    assert export.headers["content-disposition"].startswith('attachment; filename="jiejia-my-data-')
    data = json.loads(export.content)
    assert data["tenant"] == "jiejia"
    assert data["account"]["phone"] == WANG_E164 and data["account"]["name"] == "王小明"
    assert data["account"]["consent"]["version"] == users.CONSENT_VERSION
    (home,) = data["addresses"]
    assert home["label"] == "家" and home["address"] == HOME and home["district"] == "浦东新区"
    assert home["point"] == {"lat": pytest.approx(31.206), "lng": pytest.approx(121.552)}
    assert data["sessions"] and data["sessions"][0]["endedAt"] is None
    async with tenant_transaction(rows.jiejia):
        reads = await PersonalDataRead.select(PersonalDataRead.field, PersonalDataRead.actor_role)
    assert {r["field"] for r in reads} == {
        "user.phone",
        "user.name",
        "address.text",
        "address.point",
    }
    assert {r["actor_role"] for r in reads} == {"self"}


async def test_deleting_the_account_anonymises_it(
    rows: Rows, signed_in: Visitor, another_visitor: Visitor, inbox: DevInbox
) -> None:
    signed_in.post_form("/account", "/account/name", {"name": "王小明"})
    add(signed_in, "家", HOME)
    async with tenant_transaction(rows.jiejia):
        user_id = str((await User.select(User.id).first())["id"])  # type: ignore[index]
    token = await signin.issue_token(user_id, rows.jiejia, "phone")
    session = signed_in.session

    confirm = signed_in.get("/account/delete")
    assert confirm.status_code == 200 and "注销后无法恢复" in confirm.text
    unticked = signed_in.post_form("/account/delete", "/account/delete", {})
    assert unticked.status_code == 400 and "确认：请勾选确认框，确认注销账户" in unticked.text
    async with tenant_transaction(rows.jiejia):
        assert (await User.select(User.deleted_at).first())["deleted_at"] is None  # type: ignore[index]

    done = signed_in.post_form("/account/delete", "/account/delete", {"confirm": "yes"})

    assert done.status_code == 200 and "账户已注销" in done.text
    assert signed_in.session is None
    async with tenant_transaction(rows.jiejia):
        user = await User.select().where(User.id == user_id).first()
        assert await Address.count() == 0
        assert await OneTimeCode.count() == 0
        assert await Session.count().where(Session.ended_at.is_null()) == 0
        assert await ApiToken.count().where(ApiToken.revoked_at.is_null()) == 0
    assert user is not None and user["deleted_at"] is not None
    assert (user["phone_enc"], user["phone_idx"], user["name_enc"], user["email_enc"]) == (
        None,
    ) * 4
    assert session and await signin.session_user(session, rows.jiejia) is None
    assert await signin.token_user(token, rows.jiejia) is None

    # The number is free again: signing in with it starts a new, empty account.
    another_visitor.sign_in(WANG, inbox)
    page = another_visitor.get("/account")
    assert "138****1234" in page.text and "王小明" not in page.text and "锦绣路" not in page.text
    async with tenant_transaction(rows.jiejia):
        assert await User.count() == 2


async def test_an_empty_form_for_someone_elses_address_is_still_not_found(
    rows: Rows, signed_in: Visitor, another_visitor: Visitor, inbox: DevInbox
) -> None:
    add(signed_in, "家", HOME)
    (home_id,) = address_ids(signed_in.get("/account").text)
    another_visitor.sign_in("13916285730", inbox)

    answer = another_visitor.post_form("/account", f"/account/addresses/{home_id}", {})

    assert answer.status_code == 404


async def wangs_id(rows: Rows) -> str:
    async with tenant_transaction(rows.jiejia):
        return str((await User.select(User.id).where(User.kind == "customer").first())["id"])  # type: ignore[index]


async def test_the_export_holds_the_persons_bookings(rows: Rows, signed_in: Visitor) -> None:
    from tests.providers.conftest import booking_for

    booking_id = await booking_for(
        rows.jiejia, None, status="closed", customer_id=await wangs_id(rows), note="请带鞋套"
    )

    data = json.loads(signed_in.post_form("/account", "/account/export", {}).content)

    (booking,) = data["bookings"]
    assert booking["id"] == booking_id and booking["status"] == "closed"
    assert (booking["totalFen"], booking["currency"]) == (30000, "CNY")
    assert booking["address"] == "上海市黄浦区南京东路1号" and booking["note"] == "请带鞋套"


async def test_deleting_keeps_the_money_records_without_the_address_or_the_note(
    rows: Rows, signed_in: Visitor
) -> None:
    from core.booking.tables import Booking
    from core.privacy import service as privacy
    from tests.providers.conftest import booking_for

    user_id = await wangs_id(rows)
    booking_id = await booking_for(
        rows.jiejia, None, status="closed", customer_id=user_id, note="门口有狗，请先打电话"
    )

    done = signed_in.post_form("/account/delete", "/account/delete", {"confirm": "yes"})

    assert done.status_code == 200 and "账户已注销" in done.text
    async with tenant_transaction(rows.jiejia):
        kept = await Booking.select().where(Booking.id == booking_id).first()
    assert kept is not None  # the record of what was paid stays, under the random account id
    assert (str(kept["customer"]), kept["total_fen"], kept["status"]) == (user_id, 30000, "closed")
    assert kept["district"] == "黄浦区" and kept["note"] == ""
    for column, field in (("address_enc", "booking.address"), ("point_enc", "booking.point")):
        assert privacy.unseal(kept[column], field=field, tenant_id=rows.jiejia) == ""


async def test_an_account_with_a_booking_still_open_cannot_be_deleted(
    rows: Rows, signed_in: Visitor
) -> None:
    from core.booking.tables import Booking
    from tests.providers.conftest import booking_for

    user_id = await wangs_id(rows)
    booking_id = await booking_for(rows.jiejia, None, status="accepted", customer_id=user_id)

    refused = signed_in.post_form("/account/delete", "/account/delete", {"confirm": "yes"})

    assert refused.status_code == 409
    assert "您还有未完成的订单：请先取消或等待服务完成，再注销账户" in refused.text
    async with tenant_transaction(rows.jiejia):
        user = await User.select().where(User.id == user_id).first()
        booking = await Booking.select().where(Booking.id == booking_id).first()
    assert user is not None and user["deleted_at"] is None and user["phone_enc"]
    assert booking is not None and booking["address_enc"] and booking["status"] == "accepted"
    assert signed_in.get("/account").status_code == 200  # still signed in
