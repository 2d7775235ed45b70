"""Zero axe-core violations on every page type, light and dark, desktop and phone.

axe-core 4.14.1 runs every rule it has (WCAG 2.2 A and AA, and its best practices)
on the page as a learner gets it, with the site's Content-Security-Policy on.

To check a new page type, add its path to ``PAGE_TYPES`` (pages that need a
signed-in teacher or a class go in through their own fixture, see
``test_interactive_states`` for the pattern).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.axe import describe, violations
from tests.browser.test_repl import reply_of_last, type_command

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

PAGE_TYPES = [
    "/",
    "/lesson/streams",  # prose, a table, transcripts, Python, exercises and a question
    "/repl",
    "/lab",
    "/lab/cache-aside",
    "/lab/stampede",
    "/lab/rate-limit",
    "/lab/sessions",
    "/lab/http-caching",
    "/no-such-page",  # the 404 page
    "/join",
    "/teach",
]
LESSONS = sorted(
    "/lesson/" + path.stem.split("-", 1)[1]
    for path in (Path(__file__).resolve().parents[2] / "lessons_md").glob("[0-9][0-9]-*.md")
)
MODES = {
    "light-desktop": ("light", {"width": 1366, "height": 900}),
    "dark-desktop": ("dark", {"width": 1366, "height": 900}),
    "light-phone": ("light", {"width": 390, "height": 844}),
    "dark-phone": ("dark", {"width": 390, "height": 844}),
}


async def open_page(browser: Browser, mode: str) -> Page:
    """A fresh learner's page in one theme and size."""
    scheme, viewport = MODES[mode]
    context = await browser.new_context(
        viewport=viewport,  # type: ignore[arg-type]
        color_scheme=scheme,  # type: ignore[arg-type]
        has_touch=viewport["width"] < 600,
    )
    return await context.new_page()


async def check(page: Page, url: str, within: str | None = None) -> list[str]:
    """Load url, wait until nothing is loading, and list what axe finds (and small fields)."""
    await page.goto(url, wait_until="networkidle")
    problems = await violations(page, within)
    found = [f"{url}:\n{describe(problems)}"] if problems else []
    # Phones zoom into a field whose text is under 16 px, and the page jumps.
    small = await page.evaluate(
        """() => [...document.querySelectorAll("input, select, textarea")]
            .filter(e => !["checkbox", "radio", "hidden", "submit", "button"].includes(e.type))
            .filter(e => parseFloat(getComputedStyle(e).fontSize) < 16)
            .map(e => e.id || e.name || e.outerHTML.slice(0, 60))"""
    )
    return found + ([f"{url}: fields under 16 px: {small}"] if small else [])


@pytest.mark.parametrize("mode", sorted(MODES))
async def test_every_page_type(live_server: str, browser: Browser, mode: str) -> None:
    page = await open_page(browser, mode)
    try:
        problems = []
        for path in PAGE_TYPES:
            problems += await check(page, live_server + path)
        assert not problems, "\n".join(problems)
    finally:
        await page.context.close()


async def test_every_lesson(live_server: str, browser: Browser) -> None:
    """Each lesson's article once, the four modes in turn: lessons differ in their content,
    not in the page around it (which test_every_page_type checks)."""
    pages = {mode: await open_page(browser, mode) for mode in MODES}
    try:
        problems = []
        for index, path in enumerate(LESSONS):
            mode = sorted(MODES)[index % len(MODES)]
            found = await check(pages[mode], live_server + path, "article")
            problems += [f"[{mode}] {p}" for p in found]
        assert len(LESSONS) >= 20
        assert not problems, "\n".join(problems)
    finally:
        for page in pages.values():
            await page.context.close()


@pytest.mark.parametrize("mode", ["dark-desktop", "light-phone"])
async def test_interactive_states(live_server: str, browser: Browser, mode: str) -> None:
    """The REPL in use: replies, a did-you-mean, the keys panel with a value, completions."""
    page = await open_page(browser, mode)
    try:
        await page.goto(live_server + "/lesson/lists")
        for line in ("RPUSH jobs a b c", "XADD events 1-1 kind signup", "SETT x"):
            await type_command(page, line)
        await expect(page.locator(".repl-suggest")).to_have_text("did you mean SET?")
        if mode.endswith("phone"):
            await page.get_by_role("tab", name="Keys").click()
        panel = page.get_by_test_id("keys-panel")
        await panel.locator(".keys-button", has_text="events").click()
        await expect(panel.locator(".keys-entry-id")).to_have_text(["1-1"])
        assert not (found := await violations(page)), describe(found)
        await panel.locator(".keys-button", has_text="jobs").click()
        await expect(panel.locator(".keys-box")).to_have_count(3)
        if mode.endswith("phone"):
            await page.get_by_role("tab", name="Console").click()
        prompt = page.locator("#repl-input")
        await prompt.fill("LP")
        await prompt.press("Tab")
        await expect(page.locator(".repl-completion").first).to_be_visible()
        await prompt.fill("CONFIG GET x")
        await expect(page.locator("[data-repl-assist]")).to_contain_text("not available")
        await expect(reply_of_last(page)).to_be_visible()
        assert not (found := await violations(page)), describe(found)
    finally:
        await page.context.close()
