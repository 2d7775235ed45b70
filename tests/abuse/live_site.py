"""The site served over real HTTP (uvicorn in a thread, a private Redis) for the HTTP abuse tests.

A ``Browser`` is a learner's browser: the signed cookie from a page, the CSRF
token from its meta tag, and every request a real HTTP request.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from starlette.applications import Starlette

from tests.conftest import settings_for
from tests.support.live import serving
from tests.support.redis_servers import RedisServer
from tryredis.app import create_app
from tryredis.httpserver import HttpLimitsProtocol, uvicorn_options
from tryredis.labs.config import LabConfig


@contextmanager
def live_app(
    server: RedisServer, *, protected: bool = False, **overrides: object
) -> Iterator[tuple[str, Starlette]]:
    """The site's base URL and app, on ``server``, with a fast lab upstream.

    ``protected``: served with the HTTP bounds ``tryredis serve`` gives uvicorn
    (tryredis/httpserver.py) for these settings; else with uvicorn's defaults, as a
    bare ``uvicorn server:app`` would.
    """
    settings = settings_for(server, **overrides)
    app = create_app(settings)
    app.state.lab_config = LabConfig(upstream_delay=0.01, token_wait_max=0.5)
    options: dict[str, Any] = {}
    if protected:
        options = {**uvicorn_options(settings), "http": HttpLimitsProtocol.bound(settings)}
    with serving(app, **options) as url:
        yield url, app


class Browser:
    """A learner's browser on the live site."""

    def __init__(self, url: str, page: str = "/lab/cache-aside") -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30)
        self.csrf = ""
        self.load(page)

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
