"""The REPL's help while typing, in a real browser: hints, Tab completion, did you mean, paste."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.async_api import Locator, Page, expect

from tests.browser.test_repl import output, reply_of_last, type_command
from tests.conftest import settings_for
from tests.support.live import serving
from tests.support.redis_servers import RedisServer
from tryredis.app import create_app
from tryredis.repl import find_spec

pytestmark = pytest.mark.asyncio(loop_scope="session")


def hint(page: Page) -> Locator:
    """The grey hint drawn after what was typed."""
    return page.locator("[data-ghost-hint]")


async def ready(page: Page, path: str = "/repl") -> None:
    """Open a page and wait until the command catalogue has loaded (hints work)."""
    await page.goto(path)
    prompt = page.locator("#repl-input")
    await prompt.fill("GET")
    await expect(hint(page)).to_have_text(" key")
    await prompt.fill("")


async def test_hints_narrow_as_arguments_are_typed(live_server: str, page: Page) -> None:
    await ready(page, f"{live_server}/repl")
    prompt = page.locator("#repl-input")
    await prompt.press_sequentially("SET")
    await expect(hint(page)).to_have_text(
        " key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds "
        "| PXAT unix-time-milliseconds | KEEPTTL]"
    )
    await prompt.press_sequentially(" greeting hello ")
    await expect(hint(page)).to_have_text(re.compile(r"^\[NX \| XX\] \[GET\] \[EX seconds"))
    await prompt.press_sequentially("NX ")
    await expect(hint(page)).to_have_text(re.compile(r"^\[GET\] \[EX seconds"))
    await prompt.press_sequentially("EX")
    await expect(hint(page)).to_have_text(" seconds [GET]")
    await prompt.press_sequentially(" 10 GET")
    await expect(hint(page)).to_have_text("")
    await prompt.fill("ZADD board 1 ada ")
    await expect(hint(page)).to_have_text("[score member ...]")
    # Refused commands say why before Enter; unknown ones suggest a near name.
    await prompt.fill("CONFIG GET maxmemory")
    assist = page.locator("[data-repl-assist]")
    await expect(assist).to_have_text(
        "CONFIG GET is not available in the sandbox: "
        "it reads and changes the whole server's configuration."
    )
    await expect(assist).to_have_class(re.compile("is-refused"))
    await prompt.fill("SETT a")
    await expect(assist).to_have_text("Unknown command: did you mean SET?")
    await prompt.fill("GET a")
    await expect(assist).to_be_hidden()


async def test_the_browser_renders_every_syntax_line_exactly(live_server: str, page: Page) -> None:
    await ready(page, f"{live_server}/repl")
    rendered = await page.evaluate(
        """() => {
            const all = window.tryredis.hints.catalogue();
            const out = {};
            for (const [name, entry] of Object.entries(all)) {
                if (!entry.a) continue;
                out[name] = (entry.n + " " + window.tryredis.hints.render(entry.a)).trim();
            }
            return out;
        }"""
    )
    expected = {name: spec.syntax for name in rendered if (spec := find_spec(name))}
    assert rendered == expected
    assert len(rendered) > 340


async def test_tab_completes_a_command_then_a_key(live_server: str, page: Page) -> None:
    await ready(page, f"{live_server}/repl")
    await type_command(page, "SET user:1 ada")
    await expect(reply_of_last(page)).to_have_text("OK")
    await type_command(page, "SET other 1")
    await expect(output(page).locator(".repl-entry")).to_have_count(2)
    prompt = page.locator("#repl-input")
    await prompt.press_sequentially("get")
    await prompt.press("Tab")
    await expect(prompt).to_have_value("get")  # several matches: GET, GETBIT, ... cycling
    await expect(prompt).to_be_focused()
    completions = page.locator("[data-repl-assist] .repl-completion")
    await expect(completions.first).to_have_text("get")
    await prompt.press("Tab")
    await expect(prompt).to_have_value("getbit")
    await prompt.press("Shift+Tab")
    await expect(prompt).to_have_value("get")
    await prompt.press_sequentially(" us")
    await prompt.press("Tab")
    await expect(prompt).to_have_value("get user:1 ")
    await expect(prompt).to_be_focused()
    await prompt.press("Enter")
    await expect(reply_of_last(page)).to_have_text('"ada"')
    # Escape puts the original word back; then Tab may leave the prompt.
    await prompt.press_sequentially("INCRB")
    await prompt.press("Tab")
    await expect(prompt).to_have_value("INCRBY")
    await prompt.press("Escape")
    await expect(prompt).to_have_value("INCRB")
    await prompt.press("Escape")
    await prompt.press("Tab")
    await expect(prompt).not_to_be_focused()


async def test_tab_completes_subcommands_and_options(live_server: str, page: Page) -> None:
    await ready(page, f"{live_server}/repl")
    prompt = page.locator("#repl-input")
    await prompt.press_sequentially("OBJECT ENC")
    await prompt.press("Tab")
    await expect(prompt).to_have_value("OBJECT ENCODING ")
    await prompt.fill("SET k v KEEP")
    await prompt.press("Tab")
    await expect(prompt).to_have_value("SET k v KEEPTTL ")


async def test_unknown_command_gets_redis_error_then_did_you_mean(
    live_server: str, page: Page
) -> None:
    await ready(page, f"{live_server}/repl")
    await type_command(page, "SETT greeting hello")
    entry = output(page).locator(".repl-entry").last
    # The reply is Redis's own text, byte for byte; the suggestion is a separate line.
    await expect(entry.locator(".repl-reply")).to_have_text(
        "(error) ERR unknown command 'SETT', with args beginning with: 'greeting' 'hello' "
    )
    await expect(entry.locator(".repl-suggest")).to_have_text("did you mean SET?")
    await type_command(page, "OBJECT ENCODNG x")
    await expect(output(page).locator(".repl-suggest").last).to_have_text(
        "did you mean OBJECT ENCODING?"
    )


async def paste(page: Page, text: str) -> None:
    """Paste text into the prompt as the clipboard would."""
    await page.locator("#repl-input").evaluate(
        """(input, text) => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            const event = new ClipboardEvent("paste", {
                clipboardData: data, bubbles: true, cancelable: true,
            });
            input.dispatchEvent(event);
        }""",
        text,
    )


async def test_a_pasted_block_runs_line_by_line(live_server: str, page: Page) -> None:
    await ready(page, f"{live_server}/repl")
    await page.locator("#repl-input").focus()
    await paste(page, "SET counter 10\nINCR counter\nGET counter")
    entries = output(page).locator(".repl-entry")
    await expect(entries).to_have_count(3)
    await expect(entries.nth(0).locator(".repl-command")).to_have_text("redis> SET counter 10")
    await expect(entries.nth(1).locator(".repl-reply")).to_have_text("(integer) 11")
    await expect(entries.nth(2).locator(".repl-reply")).to_have_text('"11"')
    await expect(page.locator("#repl-input")).to_have_value("")
    # A pasted transcript runs only its commands.
    await paste(page, "redis> DEL counter\n(integer) 1\nredis> EXISTS counter\n(integer) 0\n")
    await expect(entries).to_have_count(5)
    await expect(entries.nth(4).locator(".repl-command")).to_have_text("redis> EXISTS counter")


async def test_the_transcript_survives_navigation(live_server: str, page: Page) -> None:
    await ready(page, f"{live_server}/lesson/keys-and-strings")
    await type_command(page, "SET kept yes")
    await expect(reply_of_last(page)).to_have_text("OK")
    await type_command(page, "SETT x")
    await expect(output(page).locator(".repl-suggest")).to_have_text("did you mean SET?")
    await page.wait_for_function(
        "() => Object.keys(localStorage).some(k => k.startsWith('tryredis:transcript:')"
        " && localStorage[k].includes('SETT'))"
    )
    await page.get_by_test_id("lesson-nav").locator("a[rel=next]").click()
    await expect(page.locator("article h1")).not_to_have_text(re.compile("Keys and strings", re.I))
    entries = output(page).locator(".repl-entry")
    await expect(entries).to_have_count(2)
    await expect(entries.first.locator(".repl-command")).to_have_text("redis> SET kept yes")
    await expect(entries.last.locator(".repl-suggest")).to_have_text("did you mean SET?")
    await type_command(page, "clear")
    await page.reload()
    await expect(output(page).locator(".repl-entry")).to_have_count(0)


@pytest.fixture(scope="module")
def slow_server(redis_server: RedisServer) -> Iterator[str]:
    """The site with a tight rate limit: 2 commands of burst, one every 10 s."""
    settings = settings_for(redis_server, rate_per_second=0.1, rate_burst=2)
    with serving(create_app(settings)) as url:
        yield url


async def test_a_rate_limited_line_says_so_in_the_transcript(slow_server: str, page: Page) -> None:
    await page.goto(f"{slow_server}/repl")
    for line in ("SET a 1", "GET a", "GET a"):
        await type_command(page, line)
    limited = output(page).locator(".repl-entry").nth(2).locator(".repl-reply")
    await expect(limited).to_have_text(
        re.compile(r"^\(rate limited\) not run: .+ Try again in \d+ s\.$")
    )
    await expect(limited).to_have_class(re.compile("kind-ratelimited"))
    await expect(page.locator("[data-repl-notice]")).to_contain_text("Slow down")
    await expect(page.locator("[data-repl-notice]")).to_be_hidden(timeout=15_000)
    await expect(limited).to_be_visible()
