"""Browser fixtures: the real app served by uvicorn, driven by Playwright in Debian's Chromium.

Playwright cannot download its own browser here, so it drives the system
Chromium through ``executable_path``; the flags keep it off the network.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tryredis.settings import PROJECT_ROOT

CHROMIUM = next(
    (
        p
        for p in ("/usr/lib/chromium/chromium", shutil.which("chromium") or "")
        if Path(p).is_file()
    ),
    None,
)
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
# Chromium logs every 4xx answer to fetch() as a console error. These are answers the
# UI shows on purpose (a refused subscription, 401, a 409, a 429); anything else fails.
EXPECTED_STATUSES = re.compile(r"Failed to load resource: .*status of (400|401|409|429) ")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


@pytest_asyncio.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One headless Chromium for the session."""
    assert CHROMIUM is not None
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        await launched.close()


@pytest_asyncio.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile (its own cookies: its own learner)."""
    ctx = await browser.new_context(viewport={"width": 1400, "height": 900})
    ctx.set_default_timeout(10_000)
    yield ctx
    await ctx.close()


@pytest_asyncio.fixture
async def page(context: BrowserContext) -> AsyncIterator[Page]:
    """A page in a fresh profile; JavaScript errors fail the test."""
    new_page = await context.new_page()
    errors: list[str] = []
    new_page.on("pageerror", lambda error: errors.append(str(error)))
    new_page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            # A 4xx answer (a refused subscription, a 429) is logged by the browser
            # itself; it is not a script error.
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    yield new_page
    assert not errors, f"errors in the page: {errors}"


def screenshot_path(name: str) -> Path:
    """Where a test saves a screenshot (kept out of git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name
