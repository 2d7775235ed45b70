"""JSON bodies built to break the parser are a 400, never a 500 (1,000 ``[`` gave a 500)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.abuse.live_site import Browser, live_app
from tests.support.redis_servers import RedisServer

JSON = {"content-type": "application/json"}
OPEN = b"[" * 1000  # the example, within the 1 KiB body of POST /api/v1/sessions
CLOSED = b"[" * 1000 + b"]" * 1000  # valid JSON, within a lab's 2 KiB
OBJECTS = b'{"a":' * 1000 + b"1" + b"}" * 1000


@pytest.fixture(scope="module")
def site(server: RedisServer) -> Iterator[str]:
    with live_app(server) as (url, _app):
        yield url


def test_deep_nesting_is_a_400_unauthenticated(site: str) -> None:
    response = httpx.post(f"{site}/api/v1/sessions", content=OPEN, headers=JSON)
    assert response.status_code == 400, response.text
    assert "nested too deeply" in response.json()["error"]


def test_deep_nesting_is_a_400_for_every_json_endpoint(site: str) -> None:
    token = httpx.post(f"{site}/api/v1/sessions").json()["token"]
    bearer = {**JSON, "authorization": f"Bearer {token}"}
    for path in ("/api/v1/run", "/api/v1/resp"):
        for body in (OPEN, CLOSED, OBJECTS):
            response = httpx.post(site + path, content=body, headers=bearer)
            assert response.status_code == 400, (path, response.text)
            assert "nested too deeply" in response.json()["error"]
    browser = Browser(site)
    try:
        for path in ("/lab/cache-aside/fetch", "/lab/stampede/run", "/lab/sessions/login"):
            for body in (OPEN, CLOSED):
                response = browser.request("POST", path, content=body, headers=JSON)
                assert response.status_code == 400, (path, response.text)
    finally:
        browser.close()


def test_huge_numbers_and_bad_bytes_are_400s(site: str) -> None:
    token = httpx.post(f"{site}/api/v1/sessions").json()["token"]
    bearer = {**JSON, "authorization": f"Bearer {token}"}
    for body in (b"1" * 5000, b'{"line": 1e99999}', b'{"line": "\xff"}', b"\xef\xbb\xbf["):
        response = httpx.post(f"{site}/api/v1/run", content=body, headers=bearer)
        assert response.status_code == 400, (body, response.text)
