"""No redirect names a host taken from the request (``GET /lab/`` with ``Host: evil.example``
redirected to evil.example)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.abuse.live_site import live_app
from tests.support.redis_servers import RedisServer


@pytest.fixture(scope="module")
def site(server: RedisServer) -> Iterator[str]:
    with live_app(server) as (url, _app):
        yield url


def get(site: str, path: str, **headers: str) -> httpx.Response:
    return httpx.get(site + path, headers=headers, follow_redirects=False)


def test_trailing_slash_redirects_are_relative(site: str) -> None:
    for host in ("evil.example", "evil.example:443", "127.0.0.1:1"):
        response = get(site, "/lab/", host=host)
        assert response.status_code == 307, response.text
        assert response.headers["location"] == "/lab"
    response = get(site, "/lesson/01-what-is-redis/?a=1&b=%2F", host="evil.example")
    assert response.headers["location"] == "/lesson/01-what-is-redis?a=1&b=%2F"
    assert "evil" not in response.text
    # The relative redirect leads to the page.
    assert httpx.get(site + "/lab/", follow_redirects=True).status_code == 200


def test_no_redirect_to_another_host_or_an_unknown_path(site: str) -> None:
    for path in ("//evil.example/", "///evil.example/", "/nope/", "/lab//"):
        response = get(site, path, host="evil.example")
        assert response.status_code == 404 or response.headers["location"].startswith("/lab")
        assert "evil" not in response.headers.get("location", "")
    assert httpx.post(site + "/lab/", follow_redirects=False).status_code in (404, 405)
