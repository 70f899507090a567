"""Done when: a provider goes from sign-up to active for deep cleaning through the pages, on a
phone, in Chinese; an admin approves the certificates and the provider in the review queue."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import BrowserContext, Page, expect

from tests.browser.conftest import PHONE, LiveServer, Problems

# Browser journeys run once, on the default engine (SQLite); the services they drive are
# covered on both engines by their own db tests.
pytestmark = pytest.mark.browser
MOBILE = "13912340088"
ID_NUMBER = "11010519491231002X"
ADMIN = ("reviewer@jiejia.example", "review-carefully-2026")
WIDEST = """() => [...document.querySelectorAll("body *")]
  .map(el => [el.tagName + "." + el.className + "#" + el.id,
              Math.round(el.getBoundingClientRect().right)])
  .filter(x => x[1] > window.innerWidth).slice(0, 15)"""
"""The elements that stick out past the phone's width (named in the failure message)."""


@pytest.fixture
def demo_codes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The console channel keeps the codes it sends (demo mode), as /dev/codes shows them."""
    from core.notifications.channels import DEV_INBOX

    monkeypatch.setenv("DOORSTEP_DEMO", "1")
    DEV_INBOX.clear()
    yield
    DEV_INBOX.clear()


@pytest.fixture
async def jiejia_id(db, tenants, settings) -> str:  # type: ignore[no-untyped-def]
    from core.accounts.passwords import create_staff
    from core.privacy import service as privacy
    from core.tenancy.service import sync_tenant_rows, tenant_row_id

    privacy.configure(settings)
    await sync_tenant_rows(tenants)
    found = await tenant_row_id("jiejia")
    assert found
    await create_staff(found, ADMIN[0], ADMIN[1], ["admin"], name="周主管")
    return found


def picture(path: Path, size: tuple[int, int], colour: tuple[int, int, int]) -> Path:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path


async def shot(page: Page, artifacts: Path, name: str) -> None:
    """A full-page screenshot, after checking nothing makes the page wider than the phone."""
    scroll = await page.evaluate("document.documentElement.scrollWidth")
    wide = await page.evaluate(WIDEST) if scroll > PHONE["viewport"]["width"] else []
    assert scroll <= PHONE["viewport"]["width"], f"{page.url} is {scroll}px wide: {wide}"
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(artifacts / f"provider-{name}.png"), full_page=True)


async def sign_in_by_code(page: Page, server: LiveServer) -> None:
    from core.notifications.channels import DEV_INBOX

    await page.goto(server.url("jiejia", "/provider/join"))
    await expect(page).to_have_url(f"{server.url('jiejia', '/signin')}?next=%2Fprovider%2Fjoin")
    await page.fill("#f-phone", MOBILE)
    await page.check("input[name=consent]")
    await page.get_by_role("button", name="获取验证码").click()
    code = DEV_INBOX.code_for("jiejia", "+86" + MOBILE)
    assert code, "the console channel kept the code"
    await page.fill("#f-code", code)
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page).to_have_url(server.url("jiejia", "/provider/join/profile"))


async def fill_the_wizard(page: Page, server: LiveServer, artifacts: Path, tmp: Path) -> None:
    await expect(page.locator(".wizard-count")).to_contain_text("第 1 步")
    await page.fill("#f-name", "孙丽华")
    await page.locator("label", has_text="女").first.click()
    await page.fill("#f-birth", "1981")
    await page.fill("#f-exp", "11")
    await page.locator(".chips-choice label", has_text="上海话").click()
    await page.fill("#f-bio", "做保洁十一年，深度保洁和厨房去油污是强项。")
    await page.fill("#f-centre", "浦东新区张杨路500号")
    await page.fill("#f-radius", "6")
    await shot(page, artifacts, "1-profile")
    await page.get_by_role("button", name="保存并继续").click()

    await expect(page).to_have_url(server.url("jiejia", "/provider/join/skills"))
    await page.locator(".skill-option", has_text="全屋保洁").click()
    await shot(page, artifacts, "2-skills")
    await page.get_by_role("button", name="保存并继续").click()

    await expect(page).to_have_url(server.url("jiejia", "/provider/join/hours"))
    await shot(page, artifacts, "3-hours")
    await page.get_by_role("button", name="保存并继续").click()

    await expect(page).to_have_url(server.url("jiejia", "/provider/join/media"))
    await page.set_input_files("#f-avatar", str(picture(tmp / "me.jpg", (600, 600), (200, 90, 60))))
    await page.locator("form:has(#f-avatar) button").click()
    await expect(page.locator(".avatar-preview")).to_be_visible()
    await page.set_input_files(
        "#f-photos",
        [
            str(picture(tmp / "a.jpg", (800, 600), (40, 140, 120))),
            str(picture(tmp / "b.jpg", (800, 600), (230, 200, 80))),
        ],
    )
    await page.locator("form:has(#f-photos) button").click()
    await expect(page.locator(".media-grid img")).to_have_count(2)
    await shot(page, artifacts, "4-media")
    await page.get_by_role("link", name="继续").click()

    await expect(page).to_have_url(server.url("jiejia", "/provider/join/identity"))
    await page.get_by_role("button", name="开始人脸核验").click()
    await expect(page.get_by_text("人脸核验已完成")).to_be_visible()
    await page.fill("#f-real-name", "孙丽华")
    await page.fill("#f-id", ID_NUMBER)
    await page.fill("#f-address", "上海市浦东新区张杨路500号 3号楼")
    await shot(page, artifacts, "5-identity")
    await page.get_by_role("button", name="提交核验").click()

    await expect(page).to_have_url(server.url("jiejia", "/provider/join/certificates"))
    today = date.today()
    for code, number in (
        ("health_certificate", "SH-JK-2026-88123"),
        ("housekeeping_training", "SHJZ-PX-2025-0419"),
    ):
        card = page.locator(f"#cert-{code}")
        await card.locator("input[name=number]").fill(number)
        await card.locator("input[name=issuer]").fill("上海市浦东新区疾病预防控制中心")
        await card.locator("input[name=valid_from]").fill((today - timedelta(days=20)).isoformat())
        await card.locator("input[name=valid_until]").fill(
            (today + timedelta(days=345)).isoformat()
        )
        photo = picture(tmp / f"{code}.jpg", (1000, 700), (250, 245, 230))
        await card.locator("input[name=image]").set_input_files(str(photo))
        if code == "health_certificate":
            await shot(page, artifacts, "6-certificates")
        await card.get_by_role("button", name="提交此证书").click()

    await expect(page).to_have_url(server.url("jiejia", "/provider/join/training"))
    await page.get_by_role("link", name="开始学习").click()
    for _ in range(3):
        await expect(page.locator(".lesson-body p").first).to_be_visible()
        await page.locator(".lesson-nav .button").last.click()
    await expect(page.get_by_role("button", name="交卷")).to_be_visible()
    for question, answer in (
        ("order", "b"),
        ("cloth", "a"),
        ("marble", "b"),
        ("belongings", "b"),
        ("unsafe", "a"),
    ):
        await page.locator(f"input[name={question}][value={answer}]").check()
    await shot(page, artifacts, "7-quiz")
    await page.get_by_role("button", name="交卷").click()
    await expect(page.locator(".quiz-result.passed")).to_be_visible()
    await page.get_by_role("link", name="继续").click()

    await expect(page).to_have_url(server.url("jiejia", "/provider/join/submit"))
    await shot(page, artifacts, "8-submit")
    await page.locator("form[action='/provider/join/submit'] button").click()
    await expect(page.locator(".status-banner")).to_contain_text("等待审核")


async def admin_approves(context: BrowserContext, server: LiveServer, artifacts: Path) -> None:
    page = await context.new_page()
    await page.goto(server.url("jiejia", "/staff/signin?next=/admin/providers"))
    await page.fill("#f-email", ADMIN[0])
    await page.fill("#f-password", ADMIN[1])
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page).to_have_url(server.url("jiejia", "/admin/providers"))
    await shot(page, artifacts, "10-admin-queue")
    await page.locator(".review-card").first.click()
    await expect(page.locator(".cert-card")).to_have_count(2)
    await shot(page, artifacts, "11-admin-file")
    for _ in range(2):
        await (
            page.locator(".cert-card form.decision-form")
            .first.get_by_role("button", name="通过", exact=True)
            .click()
        )
        await expect(page.get_by_text("证书审核结果已保存")).to_be_visible()
    await page.get_by_role("button", name="审核通过").click()
    await expect(page.get_by_text("服务者已上线")).to_be_visible()
    await page.close()


async def test_a_provider_becomes_active_for_deep_cleaning_through_the_pages(
    browser,
    live_server: LiveServer,
    artifacts: Path,
    jiejia_id: str,
    demo_codes,
    tmp_path: Path,
    plugins,
    tenants,
) -> None:  # type: ignore[no-untyped-def]
    from core.catalog.service import build_catalog
    from core.providers.tables import ProviderProfile
    from core.verification.eligibility import offerable

    provider = await browser.new_context(**PHONE)
    problems = Problems()
    page = await provider.new_page()
    problems.watch(page)
    try:
        await sign_in_by_code(page, live_server)
        await fill_the_wizard(page, live_server, artifacts, tmp_path)
        # The vendor answers about three seconds after submission; the page refreshes itself.
        await expect(page.get_by_text("核验服务仍在核验中")).to_have_count(0, timeout=15_000)
        await expect(page.locator(".check-list li", has_text="人脸核验")).to_contain_text("已通过")
        await shot(page, artifacts, "9-status")

        admin = await browser.new_context(**PHONE)
        try:
            await admin_approves(admin, live_server, artifacts)
        finally:
            await admin.close()

        await page.reload()
        await expect(page.locator(".status-banner")).to_contain_text("您已上线")
        await page.get_by_role("link", name="安心码").click()
        await expect(page.locator(".trust-qr svg")).to_be_visible()
        await shot(page, artifacts, "12-trust-code")
        check_url = await page.get_by_role("link", name="预览客户看到的页面").get_attribute("href")
        assert check_url
        door = await provider.new_page()
        problems.watch(door)
        await door.goto(check_url)
        await expect(door.locator(".verdict-green")).to_contain_text("已核验")
        await shot(door, artifacts, "13-door-check")
        await page.get_by_role("link", name="我的主页").click()
        await expect(page.locator(".badges").first).to_contain_text("实名认证")
        await shot(page, artifacts, "14-public-profile")
    finally:
        await provider.close()

    tenant = tenants.get("jiejia")
    [profile] = await ProviderProfile.select(ProviderProfile.id, ProviderProfile.status)
    assert profile["status"] == "active"
    catalog = build_catalog(plugins, tenant)[0]
    found = await offerable(
        plugins,
        tenant,
        jiejia_id,
        catalog,
        str(profile["id"]),
        "housekeeping.home_cleaning",
        datetime.now(UTC),
    )
    assert found.ok, found.missing
    assert "deep" in {t.key for t in catalog.item("housekeeping.home_cleaning").tiers}
    assert problems.found == [], problems.found


async def test_the_demo_providers_on_a_phone(
    browser, live_server: LiveServer, artifacts: Path, jiejia_id: str, plugins, tenants, settings
) -> None:  # type: ignore[no-untyped-def]
    """The seeded cleaners: a public profile with its drawn avatar, and the one whose health
    certificate lapses in five days showing yellow at the door."""
    from core.demo import seed_demo
    from core.privacy import service as privacy
    from core.providers.tables import ProviderProfile
    from core.tenancy.scoped import tenant_transaction
    from core.verification import trust

    await seed_demo(tenants, plugins, settings)
    async with tenant_transaction(jiejia_id):
        profiles = await ProviderProfile.select().where(ProviderProfile.tenant == jiejia_id)
    by_name = {
        privacy.unseal(p["name_enc"], field="provider.name", tenant_id=jiejia_id): str(p["id"])
        for p in profiles
    }
    context = await browser.new_context(**PHONE)
    problems = Problems()
    try:
        page = await context.new_page()
        problems.watch(page)
        await page.goto(live_server.url("jiejia", f"/providers/{by_name['张秀兰']}"))
        await expect(page.locator(".pro-name")).to_have_text("张阿姨")
        avatar = page.locator(".pro-avatar")
        assert await avatar.evaluate("img => img.complete && img.naturalWidth > 0")
        await shot(page, artifacts, "15-demo-profile")

        code = trust.issue(jiejia_id, by_name["陈美玲"], "", datetime.now(UTC))
        await page.goto(live_server.url("jiejia", f"/t/{code}"))
        await expect(page.locator(".verdict-yellow")).to_contain_text("请注意核实")
        await expect(page.locator(".reason-list")).to_contain_text("健康证将在 7 天内到期")
        await shot(page, artifacts, "16-door-yellow")

        await page.goto(live_server.url("jiejia", "/t/not-a-real-code"))
        await expect(page.locator(".verdict-red")).to_contain_text("安心码无效")
        await shot(page, artifacts, "17-door-forged")
    finally:
        await context.close()
    assert problems.found == [], problems.found
