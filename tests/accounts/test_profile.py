"""Profile rules without the web: addresses, districts, geocoders, rotation of the data key."""

from __future__ import annotations

import base64
import dataclasses

import pytest

from core.accounts import otp, passwords, profile, rights, users
from core.accounts.profile import NotFound
from core.accounts.service import AccountError
from core.accounts.tables import Address, User
from core.dispatch.demo_geocoder import DemoGeocoder
from core.dispatch.schemas import Geocoder, Place
from core.privacy import fields
from core.privacy import service as privacy
from core.privacy.keys import new_key
from core.tenancy.scoped import tenant_transaction
from tests.accounts.conftest import WANG, Rows, seen_by

DEMO = [DemoGeocoder()]


class BrokenGeocoder(Geocoder):
    identifier = "broken"

    async def locate(self, address: str, city: str) -> Place | None:
        raise TimeoutError("the vendor is down")


class EverywhereGeocoder(Geocoder):
    identifier = "everywhere"

    async def geocode(self, address: str, city: str) -> tuple[float, float] | None:
        return (30.0, 120.0)


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("上海市浦东新区锦绣路1001弄", "浦东新区"),
        ("上海浦东新区锦绣路1001弄", "浦东新区"),
        ("浙江省杭州市西湖区文三路478号", "西湖区"),
        ("杭州市 余杭区 文一西路969号", "余杭区"),
        ("徐汇区宛平南路381号", "徐汇区"),
        ("阳光小区3栋201", ""),
        ("文三路478号", ""),
    ],
)
def test_the_district_is_read_from_the_address(text: str, district: str) -> None:
    assert profile.district_of(text) == district


async def test_a_broken_geocoder_does_not_stop_the_next_one() -> None:
    place = await profile.locate([BrokenGeocoder(), *DEMO], "上海市徐汇区漕溪北路88号")

    assert place == Place(lat=31.1935, lng=121.4340, district="徐汇区")


async def test_a_geocoder_that_only_knows_points_still_counts() -> None:
    place = await profile.locate([EverywhereGeocoder()], "anywhere")

    assert place == Place(lat=30.0, lng=120.0, district="")


@pytest.mark.db
async def test_the_first_address_is_the_default_and_a_new_default_replaces_it(rows: Rows) -> None:
    user = await profile.ensure_customer(rows.jiejia, WANG)

    home = await profile.add_address(
        user, rows.jiejia, "家", "上海市浦东新区锦绣路1001弄 5号楼", DEMO
    )
    office = await profile.add_address(
        user, rows.jiejia, "公司", "上海市浦东新区世纪大道100号", DEMO
    )
    assert home.is_default and not office.is_default and home.located

    await profile.add_address(
        user, rows.jiejia, "父母家", "上海市徐汇区宛平南路381号", DEMO, make_default=True
    )

    book = await profile.addresses(user, rows.jiejia)
    assert [a.label for a in book if a.is_default] == ["父母家"]
    assert book[0].label == "父母家"


@pytest.mark.db
@pytest.mark.parametrize(
    ("label", "text", "field"),
    [
        ("", "上海市浦东新区世纪大道100号", "label"),
        ("家" * 21, "上海市浦东新区世纪大道100号", "label"),
        ("家", "上海", "address"),
        ("家", "上" * 201, "address"),
        ("家\x00", "上海市浦东新区世纪大道100号", "address"),
    ],
    ids=["no-label", "long-label", "short-address", "long-address", "control-character"],
)
async def test_bad_addresses_are_refused_naming_the_field(
    rows: Rows, label: str, text: str, field: str
) -> None:
    user = await profile.ensure_customer(rows.jiejia, WANG)

    with pytest.raises(AccountError) as raised:
        await profile.add_address(user, rows.jiejia, label, text, DEMO)

    assert raised.value.field == field
    async with tenant_transaction(rows.jiejia):
        assert await Address.count() == 0


@pytest.mark.db
async def test_another_tenant_never_sees_the_account_or_its_addresses(rows: Rows) -> None:
    user = await profile.ensure_customer(rows.jiejia, WANG, "王小明")
    await profile.add_address(user, rows.jiejia, "家", "上海市浦东新区世纪大道100号", DEMO)

    with pytest.raises(NotFound):
        await profile.profile(user, rows.wanjia)
    assert await profile.addresses(user, rows.wanjia) == []
    with pytest.raises(NotFound):
        await rights.export_data(user, rows.wanjia)
    with pytest.raises(NotFound):
        await rights.delete_account(user, rows.wanjia)
    assert (await profile.profile(user, rows.jiejia)).name == "王小明"


@pytest.mark.db
async def test_a_disabled_account_cannot_sign_in(rows: Rows) -> None:
    user = await profile.ensure_customer(rows.jiejia, WANG)
    await seen_by(rows.jiejia, users.disable_user(user))
    issued = await otp.issue_code(rows.jiejia, WANG, "203.0.113.7")

    with pytest.raises(AccountError) as raised:
        await otp.redeem_code(rows.jiejia, WANG, issued.code)

    assert raised.value.field == "phone"


@pytest.mark.db
async def test_names_are_trimmed_limited_and_clearable(rows: Rows) -> None:
    user = await profile.ensure_customer(rows.jiejia, WANG)

    await profile.update_name(user, rows.jiejia, "  王  小明 ")
    assert (await profile.profile(user, rows.jiejia)).name == "王 小明"
    with pytest.raises(AccountError) as raised:
        await profile.update_name(user, rows.jiejia, "王" * 41)
    assert raised.value.field == "name"
    await profile.update_name(user, rows.jiejia, "")
    assert (await profile.profile(user, rows.jiejia)).name == ""


@pytest.mark.db
async def test_key_rotation_re_encrypts_every_sealed_account_column(rows: Rows) -> None:
    user = await profile.ensure_customer(rows.jiejia, WANG, "王小明")
    await profile.add_address(user, rows.jiejia, "家", "上海市浦东新区世纪大道100号", DEMO)
    await passwords.create_staff(
        rows.wanjia, "admin@wanjia.test", "correct horse battery", ["admin"], "刘洋"
    )
    await passwords.create_staff(
        None, "ops@agency.test", "correct horse battery", [], "赵丽", kind="operator"
    )
    old = privacy.keyring()
    rotated = dataclasses.replace(
        old, data_keys={"r2": base64.b64decode(new_key()), **old.data_keys}, current="r2"
    )
    privacy.use_keyring(rotated)
    try:
        before = await privacy.pending_rotation()
        seen: list[tuple[str, int]] = []

        done = await privacy.rotate(batch_size=1, progress=lambda field, n: seen.append((field, n)))

        # phone + name + address text + point; two staff emails and names; nothing else
        assert before == done == 8
        assert await privacy.pending_rotation() == 0
        assert {field for field, _ in seen} == {
            "user.phone",
            "user.email",
            "user.name",
            "address.text",
            "address.point",
        }
        async with tenant_transaction(rows.jiejia):
            row = await User.select(User.phone_enc, User.name_enc).where(User.id == user).first()
            address = await Address.select(Address.text_enc).first()
        assert row is not None and address is not None
        assert fields.key_id_of(row["phone_enc"]) == "r2"
        assert fields.key_id_of(address["text_enc"]) == "r2"
        assert (await profile.profile(user, rows.jiejia)).name == "王小明"
        assert (await profile.addresses(user, rows.jiejia))[0].text == "上海市浦东新区世纪大道100号"
        assert await passwords.check_password(None, "ops@agency.test", "correct horse battery")
    finally:
        privacy.use_keyring(old)
