"""The REPL in a real browser: typing, history, Run buttons, isolation, exercises, safety."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.browser.conftest import screenshot_path
from tests.conftest import settings_for
from tests.support.live import serving
from tests.support.redis_servers import running_redis
from tryredis.app import create_app

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def type_command(page: Page, line: str) -> None:
    """Type a line at the prompt and press Enter."""
    prompt = page.locator("#repl-input")
    await prompt.fill(line)
    await prompt.press("Enter")


def output(page: Page) -> Locator:
    """The REPL's output region."""
    return page.locator("[data-repl-output]")


def reply_of_last(page: Page) -> Locator:
    """The reply of the most recent command."""
    return output(page).locator(".repl-entry").last.locator(".repl-reply")


async def test_typing_runs_commands_and_replies_read_like_redis_cli(
    live_server: str, page: Page
) -> None:
    await page.goto(f"{live_server}/repl")
    await type_command(page, 'SET greeting "hello world"')
    first = output(page).locator(".repl-entry").last
    await expect(first.locator(".repl-command")).to_have_text('redis> SET greeting "hello world"')
    await expect(first.locator(".repl-reply")).to_have_text("OK")
    await type_command(page, "GET greeting")
    await expect(reply_of_last(page)).to_have_text('"hello world"')
    await type_command(page, "RPUSH l a b")
    await type_command(page, "LRANGE l 0 -1")
    await expect(reply_of_last(page)).to_have_text('1) "a"\n2) "b"')
    await type_command(page, "NOSUCH x")
    await expect(output(page).locator(".kind-error").last).to_contain_text(
        "(error) ERR unknown command 'NOSUCH'"
    )
    await type_command(page, "CONFIG GET *")
    await expect(output(page).locator(".kind-refused").last).to_contain_text("(refused)")
    # Screen readers hear the latest reply once, not the whole transcript again.
    announcer = page.locator("[data-repl-announce]")
    assert await announcer.get_attribute("role") == "status"
    await expect(announcer).to_have_text(re.compile(r"^\(refused\) CONFIG GET is not available"))
    assert await output(page).get_attribute("aria-live") is None


async def test_history_with_arrow_keys(live_server: str, page: Page) -> None:
    await page.goto(f"{live_server}/repl")
    for line in ("SET a 1", "INCR a", "GET a"):
        await type_command(page, line)
    await expect(output(page).locator(".repl-entry")).to_have_count(3)
    prompt = page.locator("#repl-input")
    await prompt.type("draft")
    await prompt.press("ArrowUp")
    await expect(prompt).to_have_value("GET a")
    await prompt.press("ArrowUp")
    await expect(prompt).to_have_value("INCR a")
    await prompt.press("ArrowDown")
    await expect(prompt).to_have_value("GET a")
    await prompt.press("ArrowDown")
    await expect(prompt).to_have_value("draft")
    await prompt.fill("")
    # History is kept for the learner across page loads.
    await page.reload()
    await page.locator("#repl-input").press("ArrowUp")
    await expect(page.locator("#repl-input")).to_have_value("GET a")


async def test_clear_and_help(live_server: str, page: Page) -> None:
    await page.goto(f"{live_server}/repl")
    await type_command(page, "help")
    await expect(output(page)).to_contain_text("Sorted sets (@sorted-set)")
    await type_command(page, "help zadd")
    await expect(output(page)).to_contain_text("summary:")
    await type_command(page, "clear")
    await expect(output(page).locator(".repl-entry")).to_have_count(0)


async def test_two_learners_see_only_their_own_keys(live_server: str, browser: Browser) -> None:
    first = await browser.new_context()
    second = await browser.new_context()
    try:
        ada, bob = await first.new_page(), await second.new_page()
        await ada.goto(f"{live_server}/repl")
        await bob.goto(f"{live_server}/repl")
        await type_command(ada, "SET owner ada")
        await type_command(ada, "SET ada:only 1")
        await type_command(bob, "SET owner bob")
        await expect(output(bob).locator(".repl-entry")).to_have_count(1)
        await type_command(ada, "GET owner")
        await expect(reply_of_last(ada)).to_have_text('"ada"')
        await type_command(bob, "KEYS *")
        await expect(reply_of_last(bob)).to_have_text('1) "owner"')
        await type_command(bob, "GET ada:only")
        await expect(reply_of_last(bob)).to_have_text("(nil)")
        await type_command(ada, "DBSIZE")
        await expect(reply_of_last(ada)).to_have_text("(integer) 2")
    finally:
        await first.close()
        await second.close()


async def test_lesson_run_button_runs_its_block(live_server: str, page: Page) -> None:
    await page.goto(f"{live_server}/lesson/sorted-sets")
    block = page.get_by_test_id("redis-block").first
    button = block.locator(".run-button")
    await expect(button).to_be_visible()
    await button.click()
    entries = output(page).locator(".repl-entry")
    await expect(entries).to_have_count(3)
    await expect(entries.nth(0).locator(".repl-command")).to_have_text(
        "redis> ZADD game:scores 100 ada 85 bob 120 carol 70 dan"
    )
    await expect(entries.nth(0).locator(".repl-reply")).to_have_text("(integer) 4")
    await expect(entries.nth(2).locator(".repl-reply")).to_contain_text('1) "carol"\n2) "120"')
    # The lines were sent as if typed: they are in the history.
    await page.locator("#repl-input").press("ArrowUp")
    await expect(page.locator("#repl-input")).to_have_value("")


async def test_lesson_8_exercise_is_marked_done_by_typing_and_after_reload(
    live_server: str, page: Page
) -> None:
    await page.goto(f"{live_server}/lesson/sorted-sets")
    status = page.locator("#ex-leaderboard-status")
    await expect(status).to_contain_text("Press Start")
    await page.locator("#ex-leaderboard-start").click()  # the setup builds the board
    await expect(status).to_contain_text("In progress")
    await type_command(page, "ZINCRBY weekly 25 ada")
    await expect(output(page).locator(".repl-entry")).to_have_count(1)
    await expect(status).to_contain_text("In progress")
    await type_command(page, "ZINCRBY weekly 5 carol")
    await expect(status).to_contain_text("Done")
    await expect(page.get_by_test_id("exercise-progress")).to_contain_text("1 of 3")
    await page.screenshot(path=str(screenshot_path("lesson-8-exercise-done.png")))
    await page.reload()
    await expect(page.locator("#ex-leaderboard-status")).to_contain_text("Done")
    await page.goto(live_server)
    row = page.get_by_test_id("lesson-list").locator("li", has_text="Sorted sets").first
    await expect(row.get_by_test_id("lesson-progress")).to_contain_text("1 of 3")


async def test_markup_in_replies_is_shown_as_text(live_server: str, page: Page) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await page.goto(f"{live_server}/repl")
    await type_command(page, 'SET "<img src=x onerror=alert(1)>" "<script>alert(2)</script>"')
    await type_command(page, "KEYS *")
    await type_command(page, 'GET "<img src=x onerror=alert(1)>"')
    await expect(reply_of_last(page)).to_have_text('"<script>alert(2)</script>"')
    assert await output(page).locator("img, script").count() == 0
    assert dialogs == []


async def test_reset_sandbox_keeps_progress(live_server: str, page: Page) -> None:
    await page.goto(f"{live_server}/repl")
    await type_command(page, "SET k v")
    await expect(output(page).locator(".repl-entry")).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    await page.locator("[data-repl-reset]").click()
    await expect(page.locator("[data-repl-notice]")).to_contain_text("empty again")
    await type_command(page, "DBSIZE")
    await expect(reply_of_last(page)).to_have_text("(integer) 0")


async def test_keyboard_only(live_server: str, page: Page) -> None:
    await page.goto(f"{live_server}/lesson/sorted-sets")
    # Tab reaches the first Run button, Enter activates it, focus moves to the prompt.
    run_button = page.locator(".run-button").first
    for _ in range(60):
        await page.keyboard.press("Tab")
        if await run_button.evaluate("b => b === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the Run button")
    await page.keyboard.press("Enter")
    await expect(output(page).locator(".repl-entry")).to_have_count(3)
    await expect(page.locator("#repl-input")).to_be_focused()
    await page.keyboard.type("ZCARD game:scores")
    await page.keyboard.press("Enter")
    await expect(reply_of_last(page)).to_have_text("(integer) 4")


async def test_subscribe_streams_messages_published_from_the_prompt(
    live_server: str, page: Page
) -> None:
    await page.goto(f"{live_server}/repl")
    await type_command(page, "PING")  # creates the sandbox
    await expect(reply_of_last(page)).to_have_text("PONG")
    await type_command(page, "SUBSCRIBE news")
    stream = output(page).locator(".repl-entry").nth(1).locator(".repl-reply")
    await expect(stream).to_contain_text(
        'Reading messages... (press Ctrl-C to quit)\n1) "subscribe"\n2) "news"\n3) (integer) 1'
    )
    await type_command(page, "PUBLISH news hello")
    await expect(reply_of_last(page)).to_have_text("(integer) 1")
    await expect(stream).to_contain_text('1) "message"\n2) "news"\n3) "hello"')
    await page.locator("#repl-input").press("Control+c")
    await expect(page.locator("[data-repl-notice]")).to_contain_text("Subscription closed")
    # Nobody listens any more (the server closes the subscriber when the stream ends).
    for _ in range(20):
        await type_command(page, "PUBLISH news again")
        await expect(reply_of_last(page)).to_have_text(re.compile(r"\(integer\) [01]"))
        if await reply_of_last(page).inner_text() == "(integer) 0":
            break
        await page.wait_for_timeout(100)
    await expect(reply_of_last(page)).to_have_text("(integer) 0")


async def test_psubscribe_is_refused_with_a_reason(live_server: str, page: Page) -> None:
    await page.goto(f"{live_server}/repl")
    await type_command(page, "PING")
    await type_command(page, "PSUBSCRIBE news.*")
    await expect(output(page).locator(".kind-refused").last).to_contain_text("PSUBSCRIBE")


async def test_a_full_site_says_so_rather_than_unreachable(page: Page) -> None:
    # Admission closes at once on a Redis with a maxmemory: a new learner's first command.
    with running_redis(["--maxmemory", "64mb"]) as server:
        settings = settings_for(server, admit_memory_percent=0.001)
        with serving(create_app(settings)) as url:
            await page.goto(f"{url}/repl")
            await type_command(page, "SET a b")
            notice = page.locator("[data-repl-notice]")
            await expect(notice).to_contain_text("The site is full right now")
            await expect(notice).to_contain_text("Your command did not run.")
            await expect(notice).not_to_contain_text("unreachable")
            await expect(reply_of_last(page)).to_contain_text("(not run) The site is full")
