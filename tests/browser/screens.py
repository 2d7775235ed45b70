"""The README's pictures of a lesson beside the REPL, taken by the tests and tools/screenshot.py."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

LESSON = "/lesson/sorted-sets"
SIZES = {"1366": {"width": 1366, "height": 860}, "390": {"width": 390, "height": 844}}


async def lesson_screenshot(
    browser: Browser, base: str, size: str, scheme: str, path: Path
) -> None:
    """Lesson 8 after its first Run and a half-typed command, the keys panel showing the zset."""
    viewport = SIZES[size]
    context = await browser.new_context(
        viewport=viewport,  # type: ignore[arg-type]
        color_scheme=scheme,  # type: ignore[arg-type]
        device_scale_factor=1,
    )
    try:
        page = await context.new_page()
        await page.goto(base + LESSON)
        await page.get_by_test_id("redis-block").first.locator(".run-button").click()
        entries = page.locator("[data-repl-output] .repl-entry")
        await expect(entries).to_have_count(3)
        panel = page.get_by_test_id("keys-panel")
        if viewport["width"] >= 960:
            await panel.locator(".keys-button", has_text="game:scores").click()
            await expect(panel.locator(".keys-zset tbody tr")).to_have_count(4)
            await page.locator("#repl-input").press_sequentially("ZINCRBY game:scores ")
            await expect(page.locator("[data-ghost-hint]")).to_have_text("increment member")
            await page.evaluate("window.scrollTo(0, 0)")
        else:
            await page.get_by_role("tab", name="Keys").click()
            await panel.locator(".keys-button", has_text="game:scores").click()
            await expect(panel.locator(".keys-zset tbody tr")).to_have_count(4)
        await page.screenshot(path=str(path))
    finally:
        await context.close()
