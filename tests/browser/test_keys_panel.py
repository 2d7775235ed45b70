"""The keys panel in a real browser: the list, values as pictures, and live updates."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Locator, Page, expect

from tests.browser.conftest import screenshot_path
from tests.browser.test_repl import reply_of_last, type_command

pytestmark = pytest.mark.asyncio(loop_scope="session")


def panel(page: Page) -> Locator:
    """The keys panel."""
    return page.get_by_test_id("keys-panel")


async def test_list_as_boxes_zset_ranked_and_live_updates(live_server: str, page: Page) -> None:
    await page.set_viewport_size({"width": 1366, "height": 900})
    await page.goto(live_server + "/repl")
    await expect(panel(page).locator("[data-keys-status]")).to_contain_text("No keys yet")
    await type_command(page, "RPUSH jobs email:1 email:2 email:3")
    rows = panel(page).locator(".keys-button")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("jobs")
    await expect(rows.first.locator(".keys-type")).to_have_text("list")
    await expect(rows.first.locator(".keys-size")).to_have_text("3 elements")
    await rows.first.click()
    boxes = panel(page).locator(".keys-box")
    await expect(boxes).to_have_count(3)
    await expect(boxes.first).to_contain_text("0email:1head")
    await expect(boxes.last).to_contain_text("2email:3tail")
    # A write from the prompt redraws the list and the selected key.
    await page.locator("#repl-input").focus()
    await type_command(page, "RPUSH jobs email:4")
    await expect(reply_of_last(page)).to_have_text("(integer) 4")
    await expect(boxes).to_have_count(4)
    await expect(boxes.last).to_contain_text("3email:4tail")
    await expect(boxes.nth(2)).not_to_contain_text("tail")
    await expect(rows.first.locator(".keys-size")).to_have_text("4 elements")

    await type_command(page, "ZADD board 100 ada 85 bob 120 carol")
    await expect(rows).to_have_count(2)
    await panel(page).locator(".keys-button", has_text="board").click()
    ranked = panel(page).locator(".keys-zset tbody tr")
    await expect(ranked).to_have_count(3)
    await expect(ranked.nth(0)).to_have_text(re.compile(r"0\s*bob\s*85"))
    await expect(ranked.nth(2)).to_have_text(re.compile(r"2\s*carol\s*120"))
    await page.screenshot(path=str(screenshot_path("keys-panel-zset.png")))

    # The TTL counts down, and the filter narrows the list.
    await type_command(page, "SET session:1 x EX 100")
    ttl = panel(page).locator(".keys-button", has_text="session:1").locator(".keys-ttl")
    await expect(ttl).to_have_text(re.compile(r"^1 min 3\d s$|^1 min 40 s$"))
    first = await ttl.inner_text()
    await expect(ttl).not_to_have_text(first, timeout=3000)
    await panel(page).locator("[data-keys-filter]").fill("ses")
    await expect(rows).to_have_count(1)
    await expect(panel(page).locator("[data-keys-count]")).to_have_text("1")


async def test_each_type_has_its_picture(live_server: str, page: Page) -> None:
    await page.set_viewport_size({"width": 1366, "height": 900})
    await page.goto(live_server + "/repl")
    for line in (
        "HSET user:1 name ada lang en",
        "SADD tags redis cache",
        "XADD events 1-1 kind signup",
        "XGROUP CREATE events mailers 0",
        "SETBIT flags 1 1",
        "PFADD visitors a b c d",
        "SET greeting hello",
    ):
        await type_command(page, line)
    await expect(reply_of_last(page)).to_have_text("OK")
    rows = panel(page).locator(".keys-button")
    await expect(rows).to_have_count(6)

    async def pick(name: str) -> None:
        await panel(page).locator(".keys-button", has_text=name).click()
        await expect(panel(page).locator(".keys-detail-name")).to_have_text(name)

    await pick("user:1")
    await expect(panel(page).locator(".keys-hash tbody tr")).to_have_count(2)
    await pick("tags")
    await expect(panel(page).locator(".keys-chip")).to_have_text(["cache", "redis"])
    await pick("events")
    await expect(panel(page).locator(".keys-entry-id")).to_have_text(["1-1"])
    await expect(panel(page).locator(".keys-groups tbody tr")).to_have_text(
        re.compile(r"mailers\s*0\s*0\s*0-0")
    )
    await pick("flags")
    await panel(page).get_by_role("button", name="Show the bits").click()
    await expect(panel(page).locator(".keys-bit-row")).to_have_text(["01000000"])
    await pick("visitors")
    await expect(panel(page).locator(".keys-estimate")).to_contain_text("\u2248 4 distinct")
    await pick("greeting")
    await expect(panel(page).locator(".keys-string")).to_have_text("hello")
    await expect(panel(page).locator(".keys-facts")).to_contain_text("embstr")


async def test_a_lab_write_refreshes_the_panel(live_server: str, page: Page) -> None:
    await page.set_viewport_size({"width": 1366, "height": 900})
    await page.goto(live_server + "/lab/cache-aside")
    await page.get_by_test_id("ca-fetch").click()
    await expect(
        panel(page).locator(".keys-button", has_text="cache:stars:redis/redis")
    ).to_be_visible()
