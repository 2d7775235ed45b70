"""The site in a real browser: the lesson list, a lesson page and its navigation."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import screenshot_path

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_index_to_lesson_and_navigation(live_server: str, page: Page) -> None:
    await page.goto(live_server)
    lessons = page.get_by_test_id("lesson-list").locator(".lesson-link")
    assert await lessons.count() >= 2
    second_title = (await lessons.nth(1).locator(".lesson-title").inner_text()).strip()
    await lessons.nth(1).click()
    await expect(page.locator("article h1")).to_have_text(second_title)
    nav = page.get_by_test_id("lesson-nav")
    await expect(nav.locator("a[rel=prev]")).to_be_visible()
    await expect(nav.locator("a[rel=next]")).to_be_visible()
    await expect(page.get_by_test_id("repl")).to_be_visible()
    await page.screenshot(path=str(screenshot_path("lesson-page.png")), full_page=False)
    await nav.locator("a[rel=prev]").click()
    await expect(page.locator("article h1")).not_to_have_text(second_title)


async def test_keyboard_focus_is_visible(live_server: str, page: Page) -> None:
    await page.goto(live_server)
    await page.keyboard.press("Tab")
    focused = page.locator(":focus")
    await expect(focused).to_have_text("Skip to content")
    outline = await focused.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none"


async def test_skip_to_the_repl_is_the_second_tab_stop(live_server: str, page: Page) -> None:
    # On a phone nothing is focused at first (on wide screens the prompt already is).
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(live_server + "/lesson/sorted-sets")
    await page.keyboard.press("Tab")
    await expect(page.locator(":focus")).to_have_text("Skip to content")
    await page.keyboard.press("Tab")
    await expect(page.locator(":focus")).to_have_text("Skip to the REPL")
    await page.keyboard.press("Enter")
    await expect(page.locator("#repl-input")).to_be_focused()
