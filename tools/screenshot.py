"""Take the README's screenshots: a lesson beside the REPL at 1366 and 390 px, light and dark.

uv run python tools/screenshot.py   (needs redis-server and chromium; writes docs/screenshot-*.png)
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM  # noqa: E402
from tests.browser.screens import SIZES, lesson_screenshot  # noqa: E402
from tests.conftest import settings_for  # noqa: E402
from tests.support.live import serving  # noqa: E402
from tests.support.redis_servers import running_redis  # noqa: E402
from tryredis.app import create_app  # noqa: E402


async def shoot(base: str, target: Path) -> None:
    """Every size in both themes, one fresh learner each."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update"],
        )  # fmt: skip
        for size in SIZES:
            for scheme in ("light", "dark"):
                path = target / f"screenshot-{size}-{scheme}.png"
                await lesson_screenshot(browser, base, size, scheme, path)
                print(path.relative_to(ROOT))
        await browser.close()


def main() -> int:
    """Serve the site on a private Redis and photograph it."""
    with running_redis() as server, serving(create_app(settings_for(server))) as url:
        asyncio.run(shoot(url, ROOT / "docs"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
