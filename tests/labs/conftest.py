"""Lab test fixtures: a fast lab configuration, a controllable clock, a browser-like learner."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from tryredis.labs.config import LabConfig

DELAY = 0.1
"""The fake upstream's delay in tests: long enough for 25 clients to all miss, short enough."""


class Clock:
    """A wall clock a test can pin and move: ``clock()`` is ``start + offset``, or real time."""

    def __init__(self, start: float | None = None) -> None:
        self.start = start
        self.offset = 0.0

    def __call__(self) -> float:
        import time

        base = time.time() if self.start is None else self.start
        return base + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock() -> Clock:
    """Pinned at the start of a 10-second window (so fixed windows cannot straddle an edge)."""
    return Clock(start=1_900_000_000.0)


@pytest.fixture
def lab_client(client: TestClient, clock: Clock) -> TestClient:
    """The app with a fast upstream and a controllable clock."""
    config = LabConfig(upstream_delay=DELAY, clock=clock)
    client.app.state.lab_config = config  # type: ignore[attr-defined]
    return client


class Learner:
    """A browser: the cookie from a page, the CSRF token from its meta tag."""

    def __init__(self, client: TestClient, page: str = "/lab/cache-aside") -> None:
        self.client = client
        response = client.get(page)
        assert response.status_code == 200, response.text
        match = re.search(r'<meta name="csrf-token" content="([^"]+)"', response.text)
        assert match, "the page carries a CSRF token"
        self.csrf = match.group(1)

    @property
    def headers(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.csrf}

    def post(self, path: str, payload: dict[str, Any] | None = None) -> Any:
        """POST JSON with the CSRF header; the httpx response."""
        return self.client.post(path, json=payload or {}, headers=self.headers)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.get(path, headers={**self.headers, **(headers or {})})

    def ok(self, path: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST and expect 200; the JSON body."""
        response = self.post(path, payload)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def run(self, line: str) -> str:
        """A line through the REPL's own endpoint, with the same cookie; its output."""
        response = self.client.post("/api/v1/run", json={"line": line}, headers=self.headers)
        assert response.status_code == 200, response.text
        output: str = response.json()["results"][0]["output"]
        return output

    def sandbox_keys(self) -> set[str]:
        """The learner's keys, as ``KEYS *`` in the REPL shows them."""
        output = self.run("KEYS *")
        return set(re.findall(r'^\s*\d+\) "(.*)"$', output, flags=re.MULTILINE))


@pytest.fixture
def learner(lab_client: TestClient) -> Learner:
    """A fresh learner (new cookie) on the lab app."""
    lab_client.cookies.clear()
    return Learner(lab_client)


def ttl_of(learner: Learner, key: str) -> int:
    """``TTL key`` through the REPL."""
    output = learner.run(f"TTL {key}")
    match = re.fullmatch(r"\(integer\) (-?\d+)", output)
    assert match, output
    return int(match.group(1))
