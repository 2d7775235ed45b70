"""Each lab in a real browser: press its buttons, read the measured numbers, find its keys."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.browser.conftest import CHROMIUM, screenshot_path
from tests.conftest import settings_for
from tests.labs.conftest import Clock
from tests.support.live import serving
from tests.support.redis_servers import RedisServer
from tryredis.app import create_app
from tryredis.labs.config import LabConfig

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
]

CLOCK = Clock()  # real time unless a test pins it


@pytest.fixture(scope="module")
def lab_server(redis_server: RedisServer) -> Iterator[str]:
    """The site with a fast upstream (100 ms) and a 1-second s-maxage, served by uvicorn."""
    app = create_app(settings_for(redis_server))
    app.state.lab_config = LabConfig(
        upstream_delay=0.1, origin_max_age=1, origin_s_maxage=1, origin_swr=30, clock=CLOCK
    )
    with serving(app) as url:
        yield url


@pytest.fixture(autouse=True)
def real_time() -> Iterator[None]:
    CLOCK.start, CLOCK.offset = None, 0.0
    yield
    CLOCK.start, CLOCK.offset = None, 0.0


async def repl(page: Page, line: str) -> None:
    """Type a line into the REPL beside the lab and press Enter."""
    await page.fill("#repl-input", line)
    await page.press("#repl-input", "Enter")


def repl_output(page: Page) -> Locator:
    return page.locator("[data-repl-output]")


def cells(row: Locator) -> Locator:
    return row.locator("td")


async def number(cell: Locator) -> float:
    """The number at the start of a cell's text ("302.4 ms" -> 302.4)."""
    text = await cell.inner_text()
    match = re.match(r"\s*(\d+(?:\.\d+)?)", text)
    assert match, text
    return float(match.group(1))


async def test_cache_aside_lab(lab_server: str, page: Page) -> None:
    await page.goto(f"{lab_server}/lab/cache-aside")
    rows = page.get_by_test_id("ca-results").locator("tbody tr")
    fetch = page.get_by_test_id("ca-fetch")

    await fetch.click()
    await expect(rows).to_have_count(1)
    await expect(rows.nth(0)).to_contain_text("MISS")
    await fetch.click()
    await expect(rows).to_have_count(2)
    await expect(rows.nth(1)).to_contain_text("HIT")
    miss_ms, hit_ms = (
        await number(cells(rows.nth(0)).nth(3)),
        await number(cells(rows.nth(1)).nth(3)),
    )
    assert miss_ms >= 90 and hit_ms < miss_ms / 5  # the upstream's 100 ms, measured
    assert await number(cells(rows.nth(0)).nth(4)) == 1  # upstream calls
    assert await number(cells(rows.nth(1)).nth(4)) == 0
    await expect(page.locator('[data-total="upstream"]')).to_have_text("1")

    await page.fill("#ca-stars", "70000")
    await page.get_by_test_id("ca-update").click()
    await expect(page.locator('[data-status="update"]')).to_contain_text("left alone")
    await fetch.click()
    await expect(rows.nth(2)).to_contain_text("STALE")
    await expect(cells(rows.nth(2)).nth(6)).to_have_text("70000")

    await page.get_by_test_id("ca-update-invalidate").click()
    await expect(page.locator('[data-status="update"]')).to_contain_text("answered 1")
    await fetch.click()
    await expect(rows.nth(3)).to_contain_text("MISS")
    await expect(cells(rows.nth(3)).nth(2)).to_have_text("70000")
    await page.screenshot(path=str(screenshot_path("lab-cache-aside.png")), full_page=True)

    await repl(page, "KEYS *")
    await expect(repl_output(page)).to_contain_text('"cache:stars:redis/redis"')
    await expect(repl_output(page)).to_contain_text('"labdb:repo:redis/redis"')
    await repl(page, "TTL cache:stars:redis/redis")
    await expect(repl_output(page)).to_contain_text(re.compile(r"\(integer\) (5\d|60)"))


async def test_stampede_lab(lab_server: str, page: Page) -> None:
    await page.goto(f"{lab_server}/lab/stampede")
    rows = page.get_by_test_id("st-results").locator("tbody tr")
    await page.fill("#st-clients", "20")

    await page.get_by_test_id("st-nolock").click()
    await expect(rows).to_have_count(1)
    await expect(cells(rows.nth(0)).nth(2)).to_have_text("20")  # upstream calls
    await page.get_by_test_id("st-lock").click()
    await expect(rows).to_have_count(2)
    await expect(cells(rows.nth(1)).nth(2)).to_have_text("1")
    await expect(cells(rows.nth(1)).nth(6)).to_contain_text("19")  # the others waited
    assert await number(cells(rows.nth(0)).nth(4)) >= 90  # wall time: one upstream delay

    await page.check("#st-crash")
    await page.get_by_test_id("st-lock").click()
    await expect(rows).to_have_count(3)
    await expect(cells(rows.nth(2)).nth(7)).to_contain_text(" s")  # the lock is left behind
    await page.screenshot(path=str(screenshot_path("lab-stampede.png")), full_page=True)

    await repl(page, "KEYS *")
    await expect(repl_output(page)).to_contain_text('"cache:v1:repo:redis/redis"')
    await expect(repl_output(page)).to_contain_text('"lock:cache:v1:repo:redis/redis"')


async def test_rate_limit_lab(lab_server: str, page: Page) -> None:
    CLOCK.start = (time.time() // 10) * 10  # pinned: the 8 requests share one fixed window
    await page.goto(f"{lab_server}/lab/rate-limit")
    for limiter in ["fixed", "sliding"]:
        await page.get_by_test_id(f"rl-{limiter}-hammer").click()
        rows = page.get_by_test_id(f"rl-{limiter}-results").locator("tbody tr")
        await expect(rows).to_have_count(8)
        statuses = [await cells(rows.nth(i)).nth(1).inner_text() for i in range(8)]
        assert statuses == ["200 OK"] * 5 + ["429 Too Many Requests"] * 3, statuses
        await expect(cells(rows.nth(7)).nth(2)).to_have_text("10 s")  # Retry-After
    await page.screenshot(path=str(screenshot_path("lab-rate-limit.png")), full_page=True)

    await repl(page, "KEYS rate:*")
    await expect(repl_output(page)).to_contain_text('"rate:sliding:127.0.0.1"')
    await expect(repl_output(page)).to_contain_text(re.compile(r'"rate:fixed:127\.0\.0\.1:\d+"'))
    await repl(page, "ZCARD rate:sliding:127.0.0.1")
    await expect(repl_output(page)).to_contain_text("(integer) 5")


async def test_session_lab(lab_server: str, page: Page) -> None:
    await page.goto(f"{lab_server}/lab/sessions")
    status = page.locator('[data-lab="sessions"] [data-status]')
    await page.get_by_test_id("se-me").click()
    await expect(status).to_contain_text("Not logged in")
    await page.get_by_test_id("se-login").click()
    await expect(status).to_contain_text("Logged in as ada")
    key = (await page.locator('[data-fact="key"]').inner_text()).strip()
    assert re.fullmatch(r"session:[0-9a-f]{64}", key)
    await page.get_by_test_id("se-me").click()
    await expect(status).to_contain_text("You are ada")
    await expect(page.locator('[data-fact="ttl"]')).to_contain_text("pushed back to 1800 s")
    await page.screenshot(path=str(screenshot_path("lab-sessions.png")), full_page=True)

    await repl(page, "KEYS *")
    await expect(repl_output(page)).to_contain_text(f'"{key}"')
    await expect(repl_output(page)).to_contain_text('"user:ada:sessions"')
    await repl(page, f"HGET {key} user_id")
    await expect(repl_output(page)).to_contain_text('"ada"')

    await page.get_by_test_id("se-logout").click()
    await expect(status).to_contain_text("Logged out")
    await repl(page, f"EXISTS {key}")
    await expect(repl_output(page).locator(".repl-reply").last).to_have_text("(integer) 0")
    await page.get_by_test_id("se-me").click()
    await expect(status).to_contain_text("Not logged in")


async def test_http_caching_lab(lab_server: str, page: Page) -> None:
    await page.goto(f"{lab_server}/lab/http-caching")
    cards = page.get_by_test_id("hc-exchanges").locator(".exchange")
    newest = cards.first

    await page.get_by_test_id("hc-get").click()
    await expect(newest.locator("h3")).to_contain_text("200 OK")
    await expect(newest).to_contain_text("etag:")
    await expect(newest).to_contain_text("cache-control: private, no-cache")
    await page.get_by_test_id("hc-inm").click()
    await expect(newest.locator("h3")).to_contain_text("304 Not Modified")
    await expect(newest).to_contain_text("If-None-Match:")
    await expect(newest).to_contain_text("No body.")
    await page.get_by_test_id("hc-ims").click()
    await expect(cards).to_have_count(3)
    await expect(newest.locator("h3")).to_contain_text("304 Not Modified")
    await page.get_by_test_id("hc-star").click()
    await expect(cards).to_have_count(4)
    await page.get_by_test_id("hc-inm").click()  # the old ETag no longer matches
    await expect(cards).to_have_count(5)
    await expect(newest.locator("h3")).to_contain_text("200 OK")

    CLOCK.start = time.time()  # pinned: the proxy's ages depend on nothing but CLOCK.advance
    await page.get_by_test_id("hc-proxy").click()
    await expect(cards).to_have_count(6)
    await expect(newest).to_contain_text("x-cache: MISS")
    await page.get_by_test_id("hc-proxy").click()
    await expect(cards).to_have_count(7)
    await expect(newest).to_contain_text("x-cache: HIT")
    CLOCK.advance(2)  # past the demo's 1-second s-maxage
    await page.get_by_test_id("hc-proxy").click()
    await expect(cards).to_have_count(8)
    await expect(newest).to_contain_text("x-cache: STALE")
    await expect(newest).to_contain_text("age: 2")

    await page.get_by_test_id("hc-lesson").click()
    await expect(newest.locator("h3")).to_contain_text("/lesson/http-caching → 304 Not Modified")
    await expect(newest).to_contain_text("No body.")
    await page.get_by_test_id("hc-asset").click()
    await expect(newest.locator("h3")).to_contain_text("/css/labs.css → 200 OK")
    await expect(newest).to_contain_text("cache-control: public, max-age=31536000, immutable")
    await page.screenshot(path=str(screenshot_path("lab-http-caching.png")), full_page=True)

    await repl(page, "KEYS *")
    await expect(repl_output(page)).to_contain_text('"cache:v1:http:repo:redis/redis"')
    await expect(repl_output(page)).to_contain_text('"proxy:repo:redis/redis"')


async def test_labs_are_listed_and_keyboard_usable(lab_server: str, page: Page) -> None:
    await page.goto(lab_server)
    await page.get_by_role("navigation", name="Site").get_by_role("link", name="Labs").click()
    await expect(page.get_by_test_id("lab-list").locator("li")).to_have_count(5)
    await page.screenshot(path=str(screenshot_path("labs-index.png")), full_page=True)
    await page.get_by_role("link", name="Cache-aside lab").click()
    await page.focus("#ca-repo")
    await page.keyboard.press("Enter")  # submits the form: no mouse needed
    await expect(page.locator('[data-status="fetch"]')).to_contain_text("Miss")


@pytest.mark.parametrize(
    ("lab", "press", "rows"),
    [
        ("cache-aside", ["ca-fetch", "ca-fetch"], "ca-results"),
        ("stampede", ["st-nolock"], "st-results"),
        ("rate-limit", ["rl-fixed-hammer"], "rl-fixed-results"),
        ("sessions", ["se-login", "se-me", "se-logout"], None),
        ("http-caching", ["hc-get", "hc-inm"], None),
    ],
)
async def test_labs_fit_a_phone(
    live_server: str, browser: Browser, lab: str, press: list[str], rows: str | None
) -> None:
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = await context.new_page()
        await page.goto(f"{live_server}/lab/{lab}")
        for test_id in press:
            button = page.get_by_test_id(test_id)
            await expect(button).to_be_enabled()
            await button.click()
            await expect(page.locator("[data-lab]")).not_to_have_attribute("aria-busy", "true")
        if rows:
            await expect(page.get_by_test_id(rows).locator("tbody tr").first).to_be_visible()
        widths = await page.evaluate(
            """() => [document.documentElement.scrollWidth,
                      ...[...document.querySelectorAll("main table")].map(
                          t => t.getBoundingClientRect().right)]"""
        )
        assert max(widths) <= 390, widths
    finally:
        await context.close()
