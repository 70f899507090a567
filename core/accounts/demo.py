"""Demo people: staff logins and customers with addresses, for the two demo tenants.

Everything goes through the account services, so names, numbers and addresses are stored
encrypted exactly as real sign-ups would be. The logins are listed in README.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.accounts import passwords, profile
from core.accounts.service import AccountError
from core.plugins import DoorstepPluginManager
from core.tenancy.registry import TenantRegistry
from core.tenancy.service import tenant_row_id

DEMO_PASSWORD = "doorstep-demo"  # noqa: S105 (documented in README.md, demo tenants only)


@dataclass(frozen=True)
class DemoStaff:
    email: str
    name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class DemoCustomer:
    phone: str
    name: str
    addresses: tuple[tuple[str, str], ...]
    """(label, full address); the first is the default."""


STAFF = {
    "jiejia": (
        DemoStaff("admin@jiejia.demo", "周海涛", ("admin",)),
        DemoStaff("support@jiejia.demo", "吴佳怡", ("support",)),
        DemoStaff("dispatcher@jiejia.demo", "郑凯", ("dispatcher",)),
        DemoStaff("safety@jiejia.demo", "韩立新", ("safety_officer",)),
        DemoStaff("quality@jiejia.demo", "陆晓琳", ("quality_inspector",)),
    ),
    "wanjia": (
        DemoStaff("admin@wanjia.demo", "钱晓燕", ("admin",)),
        DemoStaff("support@wanjia.demo", "冯磊", ("support",)),
        DemoStaff("dispatcher@wanjia.demo", "沈婷", ("dispatcher",)),
        DemoStaff("safety@wanjia.demo", "蒋伟", ("safety_officer",)),
        DemoStaff("quality@wanjia.demo", "许静", ("quality_inspector",)),
    ),
}

CUSTOMERS = {
    "jiejia": (
        DemoCustomer(
            "13812341234",
            "王小明",
            (
                ("家", "上海市浦东新区锦绣路1001弄 5号楼1202室"),
                ("公司", "上海市浦东新区世纪大道100号 38楼"),
            ),
        ),
        DemoCustomer("13916285730", "李娜", (("家", "上海市徐汇区宛平南路381号 2号楼801室"),)),
        DemoCustomer("13601770425", "张伟", (("家", "上海市静安区愚园路1088弄 12号"),)),
        DemoCustomer("15821906637", "陈静", (("家", "上海市长宁区天山路789号 3单元602室"),)),
    ),
    "wanjia": (
        DemoCustomer(
            "13757118832", "刘洋", (("家", "杭州市西湖区文三路478号 华星时代广场A座1203"),)
        ),
        DemoCustomer(
            "15967126645",
            "赵丽",
            (
                ("家", "杭州市滨江区江南大道3888号 6幢1501室"),
                ("公司", "杭州市余杭区文一西路969号"),
            ),
        ),
        DemoCustomer("18868702219", "孙浩", (("家", "杭州市拱墅区莫干山路100号 2单元403室"),)),
        DemoCustomer("13588049916", "周敏", (("父母家", "杭州市上城区清泰街500号 1号楼702室"),)),
    ),
}


async def seed_demo_accounts(registry: TenantRegistry, plugins: DoorstepPluginManager) -> str:
    """Idempotent: people that exist already are left as they are."""
    staff_made = customers_made = 0
    for tenant in registry:
        tenant_id = await tenant_row_id(tenant.slug)
        if tenant_id is None or tenant.slug not in STAFF:
            continue
        for person in STAFF[tenant.slug]:
            try:
                await passwords.create_staff(
                    tenant_id, person.email, DEMO_PASSWORD, list(person.roles), person.name
                )
                staff_made += 1
            except AccountError as exc:
                if exc.reason != "already in use":
                    raise
        geocoders = profile.flatten(plugins.for_tenant(tenant).geocoders())
        for customer in CUSTOMERS.get(tenant.slug, ()):
            user_id = await profile.ensure_customer(tenant_id, customer.phone, customer.name)
            if await profile.addresses(user_id, tenant_id):
                continue
            customers_made += 1
            for label, text in customer.addresses:
                await profile.add_address(user_id, tenant_id, label, text, geocoders)
    return f"{staff_made} staff and {customers_made} customers added"
