"""Code cells in a real browser: Pyodide in a worker, redis-py, the learner's own sandbox.

A learner solves the cache-aside coding exercise with nothing installed, sees the tests
pass and the key in the REPL; an endless loop is stopped with a clear message; pages
without cells download none of the runtime.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.async_api import Locator, Page, expect

from tests.browser.conftest import screenshot_path
from tests.conftest import settings_for
from tests.support.live import serving
from tests.support.redis_servers import RedisServer
from tryredis.app import create_app
from tryredis.lessons import load_lessons
from tryredis.pycells.lessons import lesson_code_exercises
from tryredis.settings import PROJECT_ROOT

pytestmark = pytest.mark.asyncio(loop_scope="session")

TIME_LIMIT = 6  # seconds: short, so the endless loop's test is quick
SLUG = "cache-aside"
EXERCISE = next(
    e
    for e in lesson_code_exercises(load_lessons(PROJECT_ROOT / "lessons_md").get(SLUG))  # type: ignore[arg-type]
    if e.id == "get-stars"
)
PYTHON_START = 60_000  # ms: a cold start on a busy 2-core machine; warm ones take ~2 s


@pytest.fixture(scope="module")
def cells_server(redis_server: RedisServer) -> Iterator[str]:
    """The site with a short time limit for code cells."""
    settings = settings_for(redis_server, cell_time_limit_seconds=TIME_LIMIT)
    with serving(create_app(settings)) as url:
        yield url


async def write_code(page: Page, box: Locator, code: str) -> None:
    """Replace the editor's content by typing, as a learner would (no auto-indent)."""
    editor = box.locator(".cm-content")
    await editor.click()
    for key in ("Control+Home", "Control+Shift+End", "Delete"):
        await page.keyboard.press(key)
    await page.keyboard.insert_text(code)


async def finished(box: Locator) -> Locator:
    """The cell's status once its run is over (it ends with a tone: ok or error)."""
    status = box.locator("[data-cell-status]")
    await expect(status).to_have_attribute(
        "data-tone", re.compile("ok|error"), timeout=PYTHON_START
    )
    return status


async def test_the_cache_aside_exercise_is_solved_in_the_browser(
    cells_server: str, page: Page
) -> None:
    await page.goto(f"{cells_server}/lesson/{SLUG}")
    box = page.locator(f"#ex-{EXERCISE.id}")
    await box.scroll_into_view_if_needed()
    await write_code(page, box, EXERCISE.solution)
    await page.keyboard.press("Control+Enter")
    status = await finished(box)
    await expect(status).to_have_text(re.compile("All 2 tests pass"))
    for name in EXERCISE.test_names:
        await expect(box.locator(f'[data-cell-test="{name}"]')).to_have_attribute(
            "data-result", "pass"
        )
    await expect(box).to_have_class(re.compile("is-done"))  # the site recorded the progress
    panel_status = box.locator("[data-testid=exercise-panel] [data-testid=exercise-status]")
    await expect(panel_status).to_have_text("✓ Done.")
    await expect(box.locator("[data-cell-trace]")).to_contain_text("GET cache:stars:redis/redis")
    await box.screenshot(path=str(screenshot_path("cell-exercise-solved.png")))
    prompt = page.locator("#repl-input")
    await prompt.fill("KEYS *")
    await prompt.press("Enter")
    reply = page.locator("[data-repl-output] .repl-entry").last.locator(".repl-reply")
    await expect(reply).to_contain_text('"cache:stars:redis/redis"')
    await page.reload()
    await box.locator(".cm-content").wait_for()
    await expect(box.locator(".cm-content")).to_contain_text("STARS_TTL = 60")  # kept
    await expect(panel_status).to_contain_text("Done.")  # as the server knows it now
    await expect(box.locator("[data-testid=exercise-solution] summary")).to_have_text(
        "Compare with the solution"
    )


async def test_an_endless_loop_is_stopped(cells_server: str, page: Page) -> None:
    await page.goto(f"{cells_server}/lesson/{SLUG}")
    box = page.locator(f"#ex-{EXERCISE.id}")
    await box.scroll_into_view_if_needed()
    await write_code(page, box, "print('looping')\nwhile True:\n    pass\n")
    await box.locator("[data-cell-run]").click()
    status = await finished(box)
    await expect(status).to_have_text(re.compile(rf"Stopped after {TIME_LIMIT} s: .*endless loop"))
    await expect(box.locator("[data-cell-output]")).to_contain_text("looping")
    # The next run gets a new Python: the starter code runs and fails the tests.
    await box.locator("[data-cell-reset]").click()
    await box.locator("[data-cell-run]").click()
    await expect(await finished(box)).to_have_text("0 of 2 tests pass.")
    why = box.locator(".cell-test-why").first
    await expect(why).to_have_text("the upstream was called 3 times for three get_stars calls")


async def test_only_pages_with_cells_load_the_runtime(cells_server: str, page: Page) -> None:
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    for path in ("/", "/repl", "/lesson/hashes"):
        await page.goto(cells_server + path)
    assert not [u for u in fetched if re.search("pyodide|codemirror|cells|redis-py", u)]
    await page.goto(f"{cells_server}/lesson/{SLUG}")
    box = page.locator(f"#ex-{EXERCISE.id}")
    await box.scroll_into_view_if_needed()
    await box.locator(".cm-content").wait_for()  # the editor loads near the screen...
    assert any("codemirror" in u for u in fetched)
    assert not any("pyodide" in u for u in fetched)  # ...Python only once a cell is used
    wasm = re.compile(r"/vendor/pyodide-[\d.]+/pyodide\.asm\.wasm$")
    async with page.expect_request(lambda r: bool(wasm.search(r.url)), timeout=PYTHON_START):
        await box.locator(".cm-content").focus()


async def test_the_keyboard_reaches_everything(cells_server: str, page: Page) -> None:
    await page.goto(f"{cells_server}/lesson/{SLUG}")
    box = page.locator(f"#ex-{EXERCISE.id}")
    await box.scroll_into_view_if_needed()
    editor = box.locator(".cm-content")
    await editor.focus()
    await page.keyboard.press("Tab")  # Tab indents inside the editor...
    await expect(editor).to_be_focused()
    await page.keyboard.press("Escape")  # ...and Escape then Tab leaves it
    await page.keyboard.press("Tab")
    await expect(box.locator("[data-cell-run]")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(box.locator("[data-cell-reset]")).to_be_focused()
    await page.keyboard.press("Enter")  # Reset, from the keyboard
    await expect(box.locator("[data-cell-status]")).to_have_text("Back to the starter code.")
    assert await editor.get_attribute("aria-label") == (
        f"Your code for the exercise {EXERCISE.id}. Ctrl+Enter runs it; "
        "Escape then Tab leaves the editor."
    )
