"""The exercise endpoints as a browser uses them: cookie, CSRF header, Start, Check, answers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import settings_for
from tests.support.redis_servers import RedisServer
from tryredis.app import create_app
from tryredis.views.exercises import add_solution_reveal


@pytest.fixture
def site(redis_server: RedisServer) -> Iterator[TestClient]:
    """The app, with a browser's cookie jar."""
    with TestClient(create_app(settings_for(redis_server))) as client:
        yield client


class Browser:
    """A learner's browser on one lesson page: its cookie and CSRF token."""

    def __init__(self, client: TestClient, slug: str) -> None:
        self.client = client
        self.slug = slug
        page = client.get(f"/lesson/{slug}")
        assert page.status_code == 200
        found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
        assert found
        self.headers = {"X-CSRF-Token": found.group(1)}

    def run(self, *lines: str) -> list[str]:
        """Lines typed in the REPL; their outputs."""
        response = self.client.post(
            "/api/v1/run", json={"lines": list(lines)}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        return [result["output"] for result in response.json()["results"]]

    def post(self, path: str, **kwargs: object) -> str:
        """An htmx POST under the lesson's exercises; the fragment."""
        response = self.client.post(
            f"/lesson/{self.slug}/exercises{path}",
            headers=self.headers,
            **kwargs,  # type: ignore[arg-type]
        )
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        return response.text

    def panels(self) -> str:
        """The GET fragment with every panel."""
        response = self.client.get(f"/lesson/{self.slug}/exercises")
        assert response.status_code == 200
        return response.text


def panel(fragment: str, exercise: str) -> str:
    """One exercise's panel out of a fragment."""
    parts = re.split(r'(?=<div id="ex-[a-z0-9-]+-panel" hx-swap-oob="innerHTML">)', fragment)
    found = [part for part in parts if part.startswith(f'<div id="ex-{exercise}-panel"')]
    assert found, fragment
    return found[0]


def test_a_method_exercise_needs_start_and_fails_the_wrong_way_with_its_message(
    site: TestClient,
) -> None:
    browser = Browser(site, "keys-and-strings")
    before = panel(browser.panels(), "cleanup")
    assert "Press <strong>Start</strong>" in before and 'id="ex-cleanup-start"' in before
    assert 'id="ex-cleanup-check"' not in before
    started = browser.post("/cleanup/start")
    assert "Start again" in started and 'id="ex-cleanup-check"' in started
    assert browser.run("EXISTS tmp:a tmp:b keep:c") == ["(integer) 3"]  # the setup ran
    browser.run("DEL tmp:a", "DEL tmp:b")
    wrong = panel(browser.post("/check"), "cleanup")
    assert "Not yet." in wrong and "more than one command" in wrong
    assert "1 try" in wrong
    # One wrong attempt counts once, however many commands follow it.
    browser.run("GET keep:c")
    assert "ex-cleanup-panel" not in browser.post("/check")
    assert "1 try" in panel(browser.panels(), "cleanup")
    browser.post("/cleanup/start")
    browser.run("DEL tmp:a tmp:b")
    done = panel(browser.post("/check"), "cleanup")
    assert "Done." in done and "Compare with the solution" in done
    assert "1 of 3 exercises done" in browser.post("/check")  # progress is stored
    assert "Done." in panel(browser.panels(), "cleanup")


def test_check_says_which_check_failed_and_what_it_printed(site: TestClient) -> None:
    browser = Browser(site, "keys-and-strings")
    browser.post("/profile/start")
    browser.run("SET user:7:name Grace")
    failed = browser.post("/profile/check")
    assert "The three keys do not hold those values yet" in failed
    assert "<code>MGET user:7:name user:7:email user:7:lang</code> printed" in failed
    assert "&#34;Grace&#34;" in failed or "&quot;Grace&quot;" in failed  # escaped output
    assert "1 try" in failed and "The solution shows after 3 tries" in failed
    browser.post("/profile/check")
    third = browser.post("/profile/check")
    assert 'data-testid="exercise-solution"' in third and "MSET user:7:name" in third


STATE_ONLY = """---
title: T
summary: S.
minutes: 1
part: basics
---
```redis
redis> SET a 1
OK
```

```exercise
id: greet
task: Set `greeting` to `hi`.
checks:
  - run: GET greeting
    expect: '"hi"'
    fail: '`greeting` should be `hi`.'
solution:
  - SET greeting hi
```
"""


def test_an_exercise_without_setup_or_method_is_checked_without_start(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    (tmp_path / "01-t.md").write_text(STATE_ONLY, encoding="utf-8")
    with TestClient(create_app(settings_for(redis_server, lessons_dir=tmp_path))) as client:
        browser = Browser(client, "t")
        first = panel(browser.panels(), "greet")
        assert 'id="ex-greet-start"' not in first and 'id="ex-greet-check"' in first
        browser.run("SET greeting hello")
        assert "ex-greet-panel" not in browser.post("/check")  # not there yet: quiet
        assert "Not yet." in browser.post("/greet/check")  # asked for: the message
        browser.run("SET greeting hi")
        assert "Done." in panel(browser.post("/check"), "greet")


def test_questions_give_feedback_per_answer_then_the_answer(site: TestClient) -> None:
    browser = Browser(site, "keys-and-strings")
    wrong = browser.post("/del-answer/answer", data={"choice": "0"})
    assert "Not quite." in wrong and "actually deleted" in wrong
    assert "The answer:" not in wrong
    again = browser.post("/del-answer/answer", data={"choice": "2"})
    assert "RENAME" in again and "The answer:" in again  # two wrong answers: shown
    right = browser.post("/del-answer/answer", data={"choice": "1"})
    assert "Right." in right and "1 of 3 exercises done" in right
    assert 'value="1" required checked' in panel(browser.panels(), "del-answer")
    missing = site.post(
        "/lesson/keys-and-strings/exercises/del-answer/answer",
        headers=browser.headers,
        data={"choice": "9"},
    )
    assert missing.status_code == 400 and "Pick one of the answers" in missing.text


def test_a_teachers_reveal_shows_the_solution(site: TestClient) -> None:
    async def reveal(request: object, learner_id: str, lesson: object) -> set[str]:
        return {"profile"}

    add_solution_reveal(site.app, reveal)  # type: ignore[arg-type]
    browser = Browser(site, "keys-and-strings")
    shown = panel(browser.panels(), "profile")
    assert 'data-testid="exercise-solution"' in shown and "MSET user:7:name" in shown
    assert 'data-testid="exercise-solution"' not in panel(browser.panels(), "cleanup")


def test_the_endpoints_need_the_csrf_header_and_pay_the_rate_limit(
    redis_server: RedisServer,
) -> None:
    settings = settings_for(redis_server, rate_burst=3, rate_per_second=0.01)
    with TestClient(create_app(settings)) as client:
        browser = Browser(client, "keys-and-strings")
        refused = client.post("/lesson/keys-and-strings/exercises/cleanup/start")
        assert refused.status_code == 403 and "reload the page" in refused.text
        browser.post("/cleanup/start")  # one setup line: one token of three
        browser.run("DEL tmp:a tmp:b")  # a second token
        limited = client.post("/lesson/keys-and-strings/exercises/check", headers=browser.headers)
        # Two checks cost two tokens; one is left.
        assert limited.status_code == 429 and "Slow down" in limited.text
