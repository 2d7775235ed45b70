"""A class in real browsers: one teacher and three students, each in their own profile."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import screenshot_path
from tests.classroom.conftest import teacher_cli
from tests.conftest import settings_for
from tests.support.redis_servers import RedisServer

pytestmark = pytest.mark.asyncio(loop_scope="session")

LESSON = "what-is-redis"
EXERCISE = "what-is-redis/first-key"


class Profiles:
    """Browser profiles (own cookies each) whose pages fail the test on a script error."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    async def page(self, **options: object) -> Page:
        """A page in a new profile."""
        settings: dict[str, object] = {"viewport": {"width": 1400, "height": 900}, **options}
        context = await self.browser.new_context(**settings)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda m: (
                self.errors.append(m.text)
                if m.type == "error" and "Failed to load resource" not in m.text
                else None
            ),
        )
        return page


@pytest_asyncio.fixture
async def profiles(browser: Browser) -> AsyncIterator[Profiles]:
    made = Profiles(browser)
    yield made
    for context in made.contexts:
        await context.close()
    assert not made.errors, made.errors


async def sign_in_new_teacher(page: Page, live_server: str, server: RedisServer, name: str) -> None:
    status, out = await asyncio.to_thread(
        teacher_cli, settings_for(server), "add", name, "--site", live_server
    )
    assert status == 0, out
    link = re.search(r"(http\S+)", out)
    assert link
    await page.goto(link[1])
    await page.get_by_label("Password (at least").fill("a long password here")
    await page.get_by_label("The same password again").fill("a long password here")
    await page.get_by_role("button", name="Set password and sign in").click()
    await expect(page.get_by_role("heading", name="Your classes")).to_be_visible()


async def join(page: Page, live_server: str, code: str, name: str) -> str:
    await page.goto(f"{live_server}/join?code={code}")
    await page.get_by_label("Your name").fill(name)
    await page.get_by_role("button", name="Join").click()
    rejoin = page.get_by_test_id("rejoin-code")
    await expect(rejoin).to_have_text(re.compile(r"^[A-Z0-9]{6}$"))
    return await rejoin.inner_text()


async def type_command(page: Page, line: str) -> None:
    await page.locator("#repl-input").fill(line)
    await page.locator("#repl-input").press("Enter")


async def test_a_teacher_and_three_students(
    live_server: str, redis_server: RedisServer, profiles: Profiles
) -> None:
    teacher = await profiles.page()
    teacher.on("dialog", lambda dialog: dialog.accept())
    await sign_in_new_teacher(teacher, live_server, redis_server, "Browser Teacher")
    await teacher.get_by_label("Name", exact=True).fill("Period 3")
    await teacher.get_by_role("checkbox", name=re.compile("What Redis is")).check()
    await teacher.get_by_role("checkbox", name=re.compile("Keys and strings")).check()
    await teacher.get_by_role("button", name="Create class").click()
    await expect(teacher.get_by_role("heading", name="Period 3")).to_be_visible()
    code = (await teacher.get_by_test_id("join-code").inner_text()).strip()
    dashboard = teacher.locator("[data-dashboard]")
    await expect(dashboard).to_have_attribute("data-live", "1")

    students = [await profiles.page() for _ in range(3)]
    names = ["Ana", "Ben", "Chloé"]
    rejoins = [await join(p, live_server, code, n) for p, n in zip(students, names, strict=True)]
    grid = teacher.get_by_test_id("progress-grid")
    for name in names:  # joins appear live
        await expect(grid.get_by_role("link", name=name)).to_be_visible()

    ana = students[0]
    await ana.goto(f"{live_server}/")
    await expect(ana.get_by_test_id("lesson-assigned")).to_have_count(2)
    await ana.goto(f"{live_server}/lesson/{LESSON}")
    await expect(ana.locator("html")).to_have_attribute("data-class-live", "1")
    await ana.locator("#ex-first-key-start").click()
    await expect(ana.locator("#ex-first-key-status")).to_contain_text("In progress")
    await type_command(ana, 'SET welcome "Hello from my sandbox"')
    await type_command(ana, "GET welcome")
    await expect(ana.locator("#ex-first-key-status")).to_contain_text("Done")
    solved = time.monotonic()
    row = grid.locator("tr", has=teacher.get_by_role("link", name="Ana"))
    await expect(row.locator(f'td[data-x="{EXERCISE}"]')).to_have_class(
        re.compile("is-done"), timeout=2000
    )
    assert time.monotonic() - solved < 2.0
    # The activity columns follow: the commands she ran, when.
    await expect(row.locator('[data-field="commands"]')).to_have_text("2")
    await expect(row.locator('[data-field="last_active"]')).to_contain_text("s ago")

    ben = students[1]
    await ben.goto(f"{live_server}/repl")
    await expect(ben.locator("html")).to_have_attribute("data-class-live", "1")
    # The teacher opens Ana's keys, then sends her a notice.
    await row.get_by_role("link", name="Ana").click()
    panel = teacher.get_by_test_id("student-detail")
    await expect(panel.get_by_test_id("student-keys")).to_contain_text("welcome")
    await expect(panel.get_by_test_id("student-lines")).to_contain_text("SET welcome")
    await teacher.screenshot(path=screenshot_path("classroom-dashboard.png"), full_page=True)
    await teacher.get_by_label("To", exact=True).select_option(label="Ana")
    await teacher.get_by_label("Notice (appears in their REPL)").fill("Nice work, Ana!")
    await teacher.get_by_test_id("notice-form").get_by_role("button", name="Send").click()
    await expect(ana.get_by_test_id("class-notice")).to_contain_text("Nice work, Ana!")
    # The teacher reveals the solution to the class: Ben's REPL shows it; nobody saw Ana's note.
    await teacher.get_by_label("Exercise", exact=True).select_option(EXERCISE)
    await teacher.get_by_role("button", name="Reveal the solution").click()
    await expect(ben.get_by_test_id("class-notice")).to_contain_text(
        'solution of exercise what-is-redis/first-key: SET welcome "Hello from my sandbox"'
    )
    await expect(ben.locator("body")).not_to_contain_text("Nice work")

    # Reset Ana's sandbox: her key is gone, her progress stays.
    await panel.get_by_test_id("reset-student").click()
    await expect(teacher.locator("[data-teach-status]")).to_have_text("Reset 1 sandbox.")
    await expect(ana.get_by_test_id("class-notice").last).to_contain_text("emptied")
    await type_command(ana, "GET welcome")
    await expect(ana.locator(".repl-reply").last).to_have_text("(nil)")

    export = await teacher.context.request.get(teacher.url.split("?")[0] + "/progress.csv")
    rows = list(csv.reader(io.StringIO(await export.text())))
    assert [r[0] for r in rows[1:]] == names
    assert rows[1][rows[0].index(EXERCISE)].endswith("Z")

    # Ana clears her cookies and comes back with her name and rejoin code.
    await ana.context.clear_cookies()
    await ana.goto(f"{live_server}/join?code={code}")
    await ana.get_by_label("Your name").fill("ana")
    await ana.get_by_text("Coming back on another device?").click()
    await ana.get_by_label("Your rejoin code").fill(rejoins[0].lower())
    await ana.get_by_role("button", name="Join").click()
    await expect(ana.get_by_test_id("rejoined")).to_be_visible()
    await ana.goto(f"{live_server}/lesson/{LESSON}")
    await expect(ana.locator("#ex-first-key-status")).to_contain_text("Done")


async def test_classroom_pages_on_phone_and_dark(
    live_server: str, redis_server: RedisServer, profiles: Profiles
) -> None:
    teacher = await profiles.page(color_scheme="dark")
    await sign_in_new_teacher(teacher, live_server, redis_server, "Dark Teacher")
    await teacher.get_by_label("Name", exact=True).fill("Night class")
    await teacher.get_by_role("checkbox", name=re.compile("What Redis is")).check()
    await teacher.get_by_role("button", name="Create class").click()
    await expect(teacher.locator("[data-dashboard]")).to_have_attribute("data-live", "1")
    code = (await teacher.get_by_test_id("join-code").inner_text()).strip()
    phone = await profiles.page(viewport={"width": 390, "height": 844}, is_mobile=True)
    await join(phone, live_server, code, "Dee")
    await expect(teacher.get_by_test_id("progress-grid")).to_contain_text("Dee")
    await teacher.screenshot(path=screenshot_path("classroom-dashboard-dark.png"), full_page=True)
    await phone.goto(f"{live_server}/join")
    await phone.screenshot(path=screenshot_path("classroom-join-phone.png"), full_page=True)
    await teacher.get_by_role("link", name="Show on the projector").click()
    await expect(teacher.get_by_test_id("projector-code")).to_have_text(code)
    qr = teacher.locator("img.projector-qr")
    assert await qr.evaluate("img => img.naturalWidth") > 0
    await teacher.screenshot(path=screenshot_path("classroom-projector-dark.png"))
