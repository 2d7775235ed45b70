"""Take the README's screenshot: a lesson beside the REPL, in the real site.

uv run python tools/screenshot.py   (needs redis-server and chromium)
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import settings_for  # noqa: E402
from tests.support.live import serving  # noqa: E402
from tests.support.redis_servers import running_redis  # noqa: E402
from tryredis.app import create_app  # noqa: E402


async def shoot(base: str, target: Path) -> None:
    """Open lesson 8, run its first block and a typed command, save the picture."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update"],
        )  # fmt: skip
        page = await browser.new_page(viewport={"width": 1440, "height": 860})
        await page.goto(f"{base}/lesson/sorted-sets")
        await page.locator(".run-button").first.click()
        await page.locator("[data-repl-output] .repl-entry").nth(2).wait_for()
        await page.locator("#repl-input").fill("ZSCORE game:scores ada")
        await page.locator("#repl-input").press("Enter")
        await page.locator("[data-repl-output] .repl-entry").nth(3).wait_for()
        await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(path=str(target))
        await browser.close()


def main() -> int:
    """Serve the site on a private Redis and photograph it."""
    with running_redis() as server, serving(create_app(settings_for(server))) as url:
        asyncio.run(shoot(url, ROOT / "docs" / "screenshot.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
