"""On a phone, in Chinese: the customer pays an accepted booking with WeChat Pay through the
demo stand-in (checkout -> the stand-in's WeChat page -> paid), sees the payment received and
opens the receipt PDF. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from core.booking.tables import Booking
from core.payments.standin.gateway import use_fresh_keys
from core.payments.tables import Payment
from core.tenancy.scoped import tenant_transaction
from tests.browser.conftest import PHONE, LiveServer, Problems
from tests.factories import TOMORROW, World, at, make_world

pytestmark = pytest.mark.browser


@dataclass
class Ready:
    world: World
    booking: str
    total_fen: int
    session: str


@pytest.fixture
async def ready(db: None, settings: Any, plugins: Any, tenants: Any) -> Ready:
    """王小明's deep cleaning tomorrow, accepted by its provider, not paid yet."""
    from core.accounts.signin import start_session

    use_fresh_keys(settings.var_dir)
    world = await make_world(plugins, tenants, settings, "jiejia")
    customer = await world.customer()
    provider = await world.provider()
    booking = await world.book(customer, world.request(at(TOMORROW, "10:00"), provider_id=provider))
    async with tenant_transaction(world.tenant_id):
        await Booking.update({Booking.status: "accepted"}).where(Booking.id == booking)
    row = await world.booking(booking)
    return Ready(
        world, booking, int(row["total_fen"]), await start_session(customer, world.tenant_id)
    )


async def test_a_customer_pays_with_the_wechat_stand_in_and_opens_the_receipt(
    ready: Ready, browser: Any, live_server: LiveServer, artifacts: Path
) -> None:
    problems = Problems()
    context = await browser.new_context(**PHONE)
    try:
        await context.add_cookies(
            [{"name": "doorstep_session", "value": ready.session, "url": live_server.url("jiejia")}]
        )
        page = await context.new_page()
        problems.watch(page)
        await page.goto(live_server.url("jiejia", f"/pay/{ready.booking}"))
        await expect(page.get_by_role("heading", name="支付订单")).to_be_visible()
        await page.get_by_label("微信支付").check()
        await page.screenshot(path=artifacts / "checkout-methods.png", full_page=True)
        await page.get_by_role("button", name="支付 ¥").click()

        await expect(page.get_by_role("heading", name="等待付款")).to_be_visible()
        await expect(page.locator(".qr svg")).to_be_visible()
        await page.screenshot(path=artifacts / "checkout-waiting-qr.png", full_page=True)
        await page.get_by_role("link", name="打开演示微信支付").click()

        await expect(page.get_by_role("button", name="确认支付")).to_be_visible()
        await page.screenshot(path=artifacts / "checkout-standin-wechat.png", full_page=True)
        await page.get_by_role("button", name="确认支付").click()

        await expect(page.get_by_role("heading", name="已收到付款")).to_be_visible()
        receipt = page.get_by_role("link", name="下载收据（PDF）")
        await expect(receipt).to_be_visible()
        await expect(page.get_by_role("link", name="需要发票？填写抬头和税号")).to_be_visible()
        await page.screenshot(path=artifacts / "checkout-paid.png", full_page=True)
        widths = await page.evaluate(
            "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
        )
        assert widths["scroll"] <= widths["inner"], widths

        href = await receipt.get_attribute("href")
        assert href and href.startswith("/pay/receipt/")
        # Fetched by the page itself (the browser resolves *.localhost; Node would not).
        status, kind, head = await page.evaluate(
            """async (url) => {
                const answer = await fetch(url);
                const bytes = new Uint8Array(await answer.arrayBuffer());
                return [answer.status, answer.headers.get("content-type"),
                        String.fromCharCode(...bytes.slice(0, 4))];
            }""",
            href,
        )
        assert (status, kind, head) == (200, "application/pdf", "%PDF")
    finally:
        await context.close()

    (payment,) = await ready.world.rows(Payment, booking=ready.booking)
    assert (payment["method"], payment["status"], payment["amount_fen"]) == (
        "wechat_pay",
        "captured",
        ready.total_fen,
    )
    assert problems.found == []
