"""Where the REPL sits: the prompt in reach at every width, a sheet on phones, wrapping output."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import screenshot_path
from tests.browser.screens import SIZES, lesson_screenshot
from tests.browser.test_repl import output, reply_of_last, type_command

pytestmark = pytest.mark.asyncio(loop_scope="session")

LESSON = "/lesson/sorted-sets"


async def prompt_in_view(page: Page) -> bool:
    """The prompt is inside the viewport and nothing covers it."""
    return bool(
        await page.locator("#repl-input").evaluate(
            """input => {
                const box = input.getBoundingClientRect();
                const inside = box.top >= 0 && box.bottom <= window.innerHeight;
                if (box.height === 0 || !inside) return false;
                const hit = document.elementFromPoint(box.left + 10, box.top + box.height / 2);
                return hit === input;
            }"""
        )
    )


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1024, 768), (1366, 900)])
async def test_prompt_visible_after_load_and_after_run(
    live_server: str, browser: Browser, width: int, height: int
) -> None:
    context = await browser.new_context(viewport={"width": width, "height": height})
    try:
        page = await context.new_page()
        await page.goto(live_server + LESSON)
        assert await page.evaluate("window.scrollY") == 0
        assert await prompt_in_view(page)
        if width >= 960:  # on wide screens the cursor is in the prompt from the start
            await expect(page.locator("#repl-input")).to_be_focused()
        block = page.get_by_test_id("redis-block").nth(1)
        button = block.locator(".run-button")
        await button.scroll_into_view_if_needed()
        lines = json.loads(await button.get_attribute("data-commands") or "[]")
        before = await page.evaluate("window.scrollY")
        await button.click()
        await expect(output(page).locator(".repl-entry")).to_have_count(len(lines))
        assert await prompt_in_view(page)
        # The lesson stays where it was: at most a nudge to keep the block above a sheet.
        moved = abs(await page.evaluate("window.scrollY") - before)
        assert moved < height / 2
        box = await block.bounding_box()
        sheet = await page.get_by_test_id("repl").bounding_box()
        assert box and sheet
        if width < 960:
            assert box["y"] + box["height"] <= sheet["y"] + 1  # the block is not under the sheet
        await expect(reply_of_last(page)).not_to_be_empty()
    finally:
        await context.close()


async def test_phone_sheet_opens_in_place_with_tabs(live_server: str, browser: Browser) -> None:
    context = await browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    try:
        page = await context.new_page()
        await page.goto(live_server + LESSON)
        repl = page.get_by_test_id("repl")
        toggle = page.locator("[data-repl-toggle]")
        await expect(toggle).to_have_attribute("aria-expanded", "false")
        await expect(page.locator("[data-repl-output]")).to_be_hidden()
        await type_command(page, "RPUSH jobs a b")
        await expect(toggle).to_have_attribute("aria-expanded", "true")
        await expect(reply_of_last(page)).to_have_text("(integer) 2")
        await expect(page.get_by_role("tab", name="Console")).to_have_attribute(
            "aria-selected", "true"
        )
        await page.get_by_role("tab", name="Keys").click()
        await expect(page.locator("[data-repl-output]")).to_be_hidden()
        await expect(page.get_by_test_id("keys-panel").locator(".keys-name")).to_have_text(["jobs"])
        assert await prompt_in_view(page)
        await toggle.click()
        await expect(toggle).to_have_attribute("aria-expanded", "false")
        box = await repl.bounding_box()
        assert box and box["height"] < 120
        assert (await page.evaluate("document.documentElement.scrollWidth")) <= 390
    finally:
        await context.close()


async def test_output_wraps_at_word_boundaries(live_server: str, page: Page) -> None:
    await page.set_viewport_size({"width": 1024, "height": 768})
    await page.goto(live_server + "/repl")
    await type_command(page, "help @geo")
    reply = reply_of_last(page)
    await expect(reply).to_contain_text("GEOSEARCHSTORE")
    long_word = "x" * 300
    await type_command(page, f"ECHO {long_word}")
    await expect(reply_of_last(page)).to_contain_text(long_word)
    # No word is split unless it alone is wider than the line: measure where lines break.
    broken = await output(page).evaluate(
        """out => {
            const splits = [];
            for (const pre of out.querySelectorAll(".repl-reply")) {
                const text = pre.firstChild;
                const range = document.createRange();
                let lastTop = null;
                for (let i = 0; i < text.length; i++) {
                    range.setStart(text, i); range.setEnd(text, i + 1);
                    const rect = range.getClientRects()[0];
                    if (!rect) continue;
                    if (lastTop !== null && rect.top > lastTop + 2) {
                        const before = text.data[i - 1], here = text.data[i];
                        if (/\\S/.test(before) && /\\S/.test(here)) {
                            const head = text.data.slice(0, i).split(/\\s/).pop();
                            const word = head + text.data.slice(i).split(/\\s/)[0];
                            if (word.length < 60) splits.push(word);
                        }
                    }
                    lastTop = rect.top;
                }
            }
            return splits;
        }"""
    )
    assert broken == []
    width = await output(page).evaluate("o => [o.scrollWidth, o.clientWidth]")
    assert width[0] <= width[1]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", sorted(SIZES))
async def test_lesson_screenshots(
    live_server: str, browser: Browser, size: str, scheme: str
) -> None:
    """The README's pictures, as the suite sees the site now (test-artifacts/, not in git)."""
    path = screenshot_path(f"lesson-{size}-{scheme}.png")
    await lesson_screenshot(browser, live_server, size, scheme, path)
    assert path.stat().st_size > 10_000
