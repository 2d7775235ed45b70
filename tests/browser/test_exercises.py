"""Exercises in a real browser: Start by keyboard, a wrong method, questions, hints, solutions."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import screenshot_path

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def type_command(page: Page, line: str) -> None:
    """Type a line at the prompt and press Enter."""
    prompt = page.locator("#repl-input")
    await prompt.fill(line)
    await prompt.press("Enter")


async def test_a_wrong_method_fails_visibly_then_the_right_one_passes(
    live_server: str, page: Page
) -> None:
    await page.goto(f"{live_server}/lesson/keys-and-strings")
    status = page.locator("#ex-cleanup-status")
    start = page.locator("#ex-cleanup-start")
    await expect(status).to_contain_text("Press Start")
    await start.focus()
    await page.keyboard.press("Enter")  # Start is a real button: the keyboard works
    await expect(start).to_have_text("Start again")
    await expect(start).to_be_focused()  # the swap keeps the focus where it was
    await type_command(page, "DEL tmp:a")
    await type_command(page, "DEL tmp:b")
    await expect(status).to_contain_text("That took more than one command")
    await expect(page.locator("#ex-cleanup .exercise-tries")).to_have_text("1 try")
    await page.locator("#ex-cleanup").screenshot(path=str(screenshot_path("exercise-wrong.png")))
    await start.click()
    await expect(status).to_contain_text("In progress")
    await type_command(page, "DEL tmp:a tmp:b")
    await expect(status).to_contain_text("Done")
    await expect(page.locator("#ex-cleanup [data-testid=exercise-solution]")).to_be_visible()
    await expect(page.get_by_test_id("exercise-progress")).to_contain_text("1 of 3")


async def test_check_shows_the_failing_check_and_the_solution_after_three_tries(
    live_server: str, page: Page
) -> None:
    await page.goto(f"{live_server}/lesson/keys-and-strings")
    await page.locator("#ex-profile-start").click()
    check = page.locator("#ex-profile-check")
    await check.click()
    status = page.locator("#ex-profile-status")
    await expect(status).to_contain_text("The three keys do not hold those values yet")
    await expect(status.locator(".exercise-printed")).to_contain_text("printed")
    solution = page.locator("#ex-profile [data-testid=exercise-solution]")
    await expect(solution).to_have_count(0)
    await check.click()
    await expect(page.locator("#ex-profile .exercise-tries")).to_have_text("2 tries")
    await check.click()
    await expect(solution).to_contain_text("MSET user:7:name")


async def test_a_question_answers_each_choice_and_keeps_the_answer(
    live_server: str, page: Page
) -> None:
    await page.goto(f"{live_server}/lesson/keys-and-strings")
    question = page.locator("#ex-del-answer")
    await question.get_by_label("(integer) 3").check()
    await question.get_by_role("button", name="Check answer").click()
    await expect(question.locator(".exercise-status")).to_contain_text("Not quite.")
    await expect(question.locator(".exercise-status")).to_contain_text("actually deleted")
    await question.get_by_label("(integer) 2").check()
    await question.get_by_role("button", name="Check answer").click()
    await expect(question.locator(".exercise-status")).to_contain_text("Right.")
    await page.reload()
    await expect(page.locator("#ex-del-answer").get_by_label("(integer) 2")).to_be_checked()


async def test_hints_open_one_tier_at_a_time(live_server: str, page: Page) -> None:
    await page.goto(f"{live_server}/lesson/expiring-keys")
    exercise = page.locator("#ex-login-code")
    second = exercise.get_by_text("Hint 2 of 3")
    await expect(second).to_be_hidden()
    await exercise.get_by_text("Hint 1 of 3").click()
    await expect(second).to_be_visible()
    await expect(exercise.get_by_text("Hint 3 of 3")).to_be_hidden()
