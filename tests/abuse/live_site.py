"""The site served over real HTTP (uvicorn in a thread, a private Redis) for the HTTP abuse tests.

A ``Browser`` is a learner's browser: the signed cookie from a page, the CSRF
token from its meta tag, and every request a real HTTP request.
"""

from __future__ import annotations

import asyncio
import base64
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.conftest import settings_for
from tests.support.live import serving
from tests.support.redis_servers import RedisServer
from tryredis.app import create_app
from tryredis.httpserver import HttpLimitsProtocol, uvicorn_options
from tryredis.labs.config import LabConfig


class LoopLag:
    """An ASGI wrapper that watches the server's event loop from inside it.

    A task in the loop sleeps a millisecond at a time; ``worst`` is the longest it
    woke up late since ``reset``: the longest anything held the loop (plus this
    process's thread switches: the tests' clients share its GIL).
    """

    TICK = 0.001

    def __init__(self) -> None:
        self.app: ASGIApp | None = None  # set by live_app
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    def reset(self) -> None:
        """Start a new measurement."""
        self.worst = 0.0

    async def _watch(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.TICK)
            self.worst = max(self.worst, time.perf_counter() - start - self.TICK)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Start watching with the lifespan, then serve as the app."""
        if scope["type"] == "lifespan" and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch())
        assert self.app is not None, "serve it with live_app(..., lag=...)"
        await self.app(scope, receive, send)


@contextmanager
def live_app(
    server: RedisServer, *, protected: bool = False, lag: LoopLag | None = None,
    **overrides: object,
) -> Iterator[tuple[str, Starlette]]:  # fmt: skip
    """The site's base URL and app, on ``server``, with a fast lab upstream.

    ``protected``: served with the HTTP bounds ``tryredis serve`` gives uvicorn
    (tryredis/httpserver.py) for these settings; else with uvicorn's defaults, as a
    bare ``uvicorn server:app`` would. ``lag``: a ``LoopLag`` to serve the site through.
    """
    settings = settings_for(server, **overrides)
    app = create_app(settings)
    app.state.lab_config = LabConfig(upstream_delay=0.01, token_wait_max=0.5)
    options: dict[str, Any] = {}
    if protected:
        options = {**uvicorn_options(settings), "http": HttpLimitsProtocol.bound(settings)}
    served: ASGIApp = app
    if lag is not None:
        lag.app, served = app, lag
    with serving(served, **options) as url:
        yield url, app


class Browser:
    """A learner's browser on the live site."""

    def __init__(self, url: str, page: str = "/lab/cache-aside") -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30)
        self.csrf = ""
        self.load(page)

    @property
    def learner_id(self) -> str:
        """The learner id the signed cookie carries."""
        return str(self.http.cookies["tryredis_session"]).partition(".")[0]

    def load(self, page: str) -> None:
        """Open a page: its cookie (if new) and its CSRF token."""
        response = self.http.get(page)
        assert response.status_code == 200, response.text
        match = re.search(r'<meta name="csrf-token" content="([^"]+)"', response.text)
        assert match, "the page carries a CSRF token"
        self.csrf = match.group(1)

    @property
    def headers(self) -> dict[str, str]:
        """What the site's own scripts send: the CSRF header and the page's origin."""
        return {"x-csrf-token": self.csrf, "origin": self.url}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request with the cookie and the CSRF header."""
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def run(self, line: str) -> str:
        """A line through the REPL's endpoint; its output."""
        response = self.request("POST", "/api/v1/run", json={"line": line})
        assert response.status_code == 200, response.text
        output: str = response.json()["results"][0]["output"]
        return output

    def run_lines(self, lines: list[str]) -> list[dict[str, str]]:
        """Up to 20 lines in one request; their results."""
        response = self.request("POST", "/api/v1/run", json={"lines": lines})
        assert response.status_code == 200, response.text
        results: list[dict[str, str]] = response.json()["results"]
        return results

    def execute(self, *args: bytes | str) -> Any:
        """One command as the learner could send it (``/api/v1/resp``, any bytes); its reply."""
        encoded = [
            {"base64": base64.b64encode(a).decode()} if isinstance(a, bytes) else a for a in args
        ]
        response = self.request("POST", "/api/v1/resp", json={"commands": [encoded]})
        assert response.status_code == 200, response.text
        return response.json()["replies"][0]

    def close(self) -> None:
        """Close the connections."""
        self.http.close()


class Prober:
    """Another learner sending PING over HTTP in a thread, as fast as answers come back.

    ``latencies`` are the seconds each PING took; while an attack runs they show
    how long the worker made everyone else wait.
    """

    def __init__(self, url: str) -> None:
        self.browser = Browser(url)
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            start = time.perf_counter()
            try:
                output = self.browser.run("PING")
            except (AssertionError, httpx.HTTPError) as error:
                output = repr(error)
            if output != "PONG":
                self.failures.append(output)
            self.latencies.append(time.perf_counter() - start)

    def measure(self, count: int) -> list[float]:
        """``count`` PINGs on their own (a baseline), in this thread."""
        found = []
        for _ in range(count):
            start = time.perf_counter()
            assert self.browser.run("PING") == "PONG"
            found.append(time.perf_counter() - start)
        return found

    def __enter__(self) -> Prober:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.latencies:  # wait until it is really probing
            assert time.monotonic() < deadline, "the prober never got a PONG"
            time.sleep(0.001)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)
        self.browser.close()
