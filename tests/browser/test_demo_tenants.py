"""Both demo tenants on a phone, in Chinese by default and in English on request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.browser.conftest import LiveServer, Problems

pytestmark = pytest.mark.browser
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Demo:
    slug: str
    brand_zh: str
    brand_en: str
    heading_zh: str
    heading_en: str
    services: int


JIEJIA = Demo("jiejia", "洁家到家", "Jiejia Home", "今天想把哪里打扫干净？",
              "Which room shall we make spotless today?", services=1)  # fmt: skip
WANJIA = Demo("wanjia", "万家帮", "Wanjia Help", "您家里需要什么服务？",
              "What do you need done at home?", services=4)  # fmt: skip
OTHER = {JIEJIA.slug: WANJIA, WANJIA.slug: JIEJIA}


async def open_page(context: BrowserContext, problems: Problems, url: str) -> Page:
    page = await context.new_page()
    problems.watch(page)
    await page.goto(url)
    return page


async def assert_fits_phone_width(page: Page) -> None:
    widths = await page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"{page.url} scrolls sideways: {widths}"


async def assert_logo_shown(page: Page) -> None:
    logo = page.locator("header img").first
    await expect(logo).to_be_visible()
    assert await logo.evaluate("img => img.complete && img.naturalWidth > 0"), "logo not loaded"


async def assert_current_language_readable(page: Page, label: str) -> None:
    """The switch marks the language in use, and its label stands out from its background."""
    current = page.locator(".lang-switch [aria-current]")
    await expect(current).to_have_text(label)
    colours = await current.evaluate(
        "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"
    )
    assert colours[0] != colours[1], f"{label!r} is drawn in its background colour {colours}"


async def assert_in_chinese(page: Page, demo: Demo) -> None:
    await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    await expect(page).to_have_title(demo.brand_zh)
    await expect(page.get_by_role("link", name=demo.brand_zh, exact=True)).to_be_visible()
    heading = page.get_by_role("heading", name=demo.heading_zh, exact=True)
    await expect(heading).to_be_visible()
    assert CJK.search(await heading.inner_text())
    await expect(page.get_by_role("heading", name="为什么选择我们")).to_be_visible()
    await expect(page.locator("body")).not_to_contain_text(demo.brand_en)
    await assert_current_language_readable(page, "中文")


async def assert_in_english(page: Page, demo: Demo) -> None:
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page).to_have_title(demo.brand_en)
    await expect(page.get_by_role("link", name=demo.brand_en, exact=True)).to_be_visible()
    await expect(page.get_by_role("heading", name=demo.heading_en, exact=True)).to_be_visible()
    await expect(page.get_by_role("heading", name="Why book with us")).to_be_visible()
    await expect(page.locator("body")).not_to_contain_text(demo.brand_zh)
    await assert_current_language_readable(page, "English")


@pytest.mark.parametrize("demo", [JIEJIA, WANJIA], ids=lambda demo: demo.slug)
async def test_home_is_chinese_by_default_and_english_on_request(
    demo: Demo, phone: BrowserContext, live_server: LiveServer, artifacts: Path
) -> None:
    problems = Problems()
    page = await open_page(phone, problems, live_server.url(demo.slug))

    # A first visit is in Chinese, under this tenant's brand only.
    await assert_in_chinese(page, demo)
    other = OTHER[demo.slug]
    for foreign in (other.brand_zh, other.brand_en):
        await expect(page.locator("body")).not_to_contain_text(foreign)
    await expect(page.locator(".tiles > li")).to_have_count(demo.services)
    await assert_logo_shown(page)
    await assert_fits_phone_width(page)
    await page.screenshot(path=artifacts / f"{demo.slug}-zh-CN.png", full_page=True)

    # Tapping "English" switches the page to English.
    await page.get_by_role("link", name="English", exact=True).tap()
    await assert_in_english(page, demo)
    await expect(page.get_by_role("link", name="中文", exact=True)).to_be_visible()
    await assert_logo_shown(page)
    await assert_fits_phone_width(page)
    await page.screenshot(path=artifacts / f"{demo.slug}-en.png", full_page=True)

    # The choice is remembered: on a reload, and when the home page is opened again.
    await page.reload()
    await assert_in_english(page, demo)
    again = await open_page(phone, problems, live_server.url(demo.slug))
    await assert_in_english(again, demo)

    # And switching back to Chinese works.
    await again.get_by_role("link", name="中文", exact=True).tap()
    await assert_in_chinese(again, demo)
    await page.reload()
    await assert_in_chinese(page, demo)

    assert problems.found == [], "\n".join(problems.found)


async def test_the_two_brands_look_different(
    phone: BrowserContext, live_server: LiveServer
) -> None:
    problems = Problems()
    jiejia = await open_page(phone, problems, live_server.url("jiejia"))
    wanjia = await open_page(phone, problems, live_server.url("wanjia"))
    style = """() => {
        const css = (el) => getComputedStyle(document.querySelector(el));
        return {header: css("header").backgroundColor,
                heading: css("#services-title").fontFamily};
    }"""
    jiejia_style = await jiejia.evaluate(style)
    wanjia_style = await wanjia.evaluate(style)
    assert jiejia_style["header"] != wanjia_style["header"]
    assert jiejia_style["heading"] != wanjia_style["heading"]

    # Wanjia is laid out like an app, with a tab bar on the phone screen; Jiejia is not.
    tabbar = wanjia.locator(".tabbar")
    await expect(tabbar).to_be_visible()
    await expect(tabbar).to_be_in_viewport(ratio=1)
    await expect(tabbar.get_by_role("link")).to_have_count(3)
    await expect(jiejia.locator(".tabbar")).to_have_count(0)

    assert problems.found == [], "\n".join(problems.found)


async def test_the_tab_bar_never_hides_the_end_of_the_page(
    phone: BrowserContext, live_server: LiveServer
) -> None:
    problems = Problems()
    page = await open_page(phone, problems, live_server.url("wanjia"))
    await page.locator(".site-footer").scroll_into_view_if_needed()
    await page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    last_line = await page.locator(".site-footer > :last-child").bounding_box()
    tabbar = await page.locator(".tabbar").bounding_box()
    assert last_line is not None and tabbar is not None
    assert last_line["y"] + last_line["height"] <= tabbar["y"], (last_line, tabbar)

    assert problems.found == [], "\n".join(problems.found)
