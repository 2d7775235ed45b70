"""Classroom fixtures: the site served on a private Redis, teachers made by the real CLI."""

from __future__ import annotations

import argparse
import contextlib
import io
import re
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import settings_for
from tests.support.live import serving
from tests.support.redis_servers import RedisServer
from tryredis.app import create_app
from tryredis.classroom import cli as classroom_cli
from tryredis.settings import Settings

_OPEN: list[httpx.Client] = []


def client(site: str) -> httpx.Client:
    """A client with its own cookies, closed after the test."""
    made = httpx.Client(base_url=site, follow_redirects=False)
    _OPEN.append(made)
    return made


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


@pytest.fixture(scope="module")
def class_settings(server: RedisServer) -> Settings:
    """Settings on the module's private server."""
    return settings_for(server)


@pytest.fixture(scope="module")
def site(class_settings: Settings) -> Iterator[str]:
    """The site's base URL, served by uvicorn in a thread."""
    with serving(create_app(class_settings)) as url:
        yield url


def teacher_cli(settings: Settings, *words: str) -> tuple[int, str]:
    """Run ``tryredis teacher ...`` in-process; its exit status and output."""
    parser = argparse.ArgumentParser()
    classroom_cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["teacher", *words])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = classroom_cli.run(args, settings)
    return status, out.getvalue()


class Teacher:
    """A teacher in their own browser-like client (own cookies)."""

    def __init__(self, site: str, settings: Settings, name: str) -> None:
        status, out = teacher_cli(settings, "add", name, "--site", site)
        assert status == 0, out
        link = re.search(r"link=(\S+)", out)
        assert link, out
        self.name = name
        self.password = f"correct horse {name}"
        self.http = client(site)
        page = self.http.get("/teach/welcome", params={"link": link[1]})
        assert page.status_code == 200, page.text
        done = self.http.post(
            "/teach/welcome",
            data={"link": link[1], "password": self.password, "again": self.password},
        )
        assert done.status_code == 303, done.text
        self.csrf = ""

    def page(self, path: str) -> httpx.Response:
        """GET a teacher page; remembers the CSRF token it carries."""
        response = self.http.get(path)
        found = re.search(r'name="csrf" value="([^"]+)"', response.text)
        if found:
            self.csrf = found[1]
        return response

    def post(self, path: str, **fields: str | list[str]) -> httpx.Response:
        """POST a teacher form with the CSRF token."""
        if not self.csrf:
            self.page("/teach")
        return self.http.post(path, data={"csrf": self.csrf, **fields})

    def create_class(self, name: str, lessons: list[str], **fields: str) -> str:
        """Create a class from the form; its id."""
        response = self.post("/teach/classes", name=name, lessons=lessons, **fields)
        assert response.status_code == 303, response.text
        location = response.headers["location"]
        assert location.startswith("/teach/classes/"), location
        return location.rsplit("/", 1)[1]

    def code(self, class_id: str) -> str:
        """The class's join code from its dashboard."""
        page = self.page(f"/teach/classes/{class_id}")
        found = re.search(r'data-testid="join-code">([A-Z0-9]{6})<', page.text)
        assert found, page.text
        return found[1]


class Student:
    """A student's browser-like client."""

    def __init__(self, site: str) -> None:
        self.http = client(site)
        self.rejoin = ""

    def join(self, code: str, name: str, rejoin: str = "") -> httpx.Response:
        """POST /join; remembers the rejoin code shown."""
        response = self.http.post("/join", data={"code": code, "name": name, "rejoin": rejoin})
        found = re.search(r'data-testid="rejoin-code">([A-Z0-9]{6})<', response.text)
        if found:
            self.rejoin = found[1]
        return response

    def csrf(self) -> str:
        """The learner's CSRF token from a page."""
        found = re.search(r'name="csrf-token" content="([^"]+)"', self.http.get("/repl").text)
        assert found
        return found[1]

    def run(self, *lines: str) -> list[dict[str, str]]:
        """Run lines in the REPL as the browser does."""
        response = self.http.post(
            "/api/v1/run", json={"lines": list(lines)}, headers={"x-csrf-token": self.csrf()}
        )
        assert response.status_code == 200, response.text
        results: list[dict[str, str]] = response.json()["results"]
        return results

    def start(self, slug: str, exercise: str) -> None:
        """Press the exercise's Start."""
        response = self.http.post(
            f"/lesson/{slug}/exercises/{exercise}/start", headers={"x-csrf-token": self.csrf()}
        )
        assert response.status_code == 200, response.text

    def check(self, slug: str) -> str:
        """The checks the page runs after each command (this records progress)."""
        response = self.http.post(
            f"/lesson/{slug}/exercises/check", headers={"x-csrf-token": self.csrf()}
        )
        assert response.status_code == 200, response.text
        return response.text

    def solve_first_key(self) -> None:
        """Solve lesson 1's first exercise as a learner does: Start, the commands, the check."""
        self.start("what-is-redis", "first-key")
        self.run('SET welcome "Hello from my sandbox"', "GET welcome")
        assert "Done" in self.check("what-is-redis")

    def panels(self, slug: str) -> str:
        """The lesson's exercise panels as the page loads them."""
        return self.http.get(f"/lesson/{slug}/exercises").text
