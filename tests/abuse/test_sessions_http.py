"""Sessions over HTTP: another site cannot make sandboxes with a student's address, and a
deleted session's cookie never comes back."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.abuse.live_site import live_app
from tests.support.redis_servers import RedisServer

PER_HOUR = 3


@pytest.fixture(scope="module")
def site(server: RedisServer) -> Iterator[str]:
    with live_app(server, sessions_per_ip_hour=PER_HOUR) as (url, _app):
        yield url


def test_cross_site_pages_cannot_create_sandboxes(site: str) -> None:
    host = site.removeprefix("http://")
    cross_site = [
        {"origin": "https://evil.example", "sec-fetch-site": "cross-site"},
        {"origin": "https://evil.example"},
        {"origin": "null"},  # a sandboxed iframe or a data: page
        {"sec-fetch-site": "cross-site"},  # a browser that left Origin out
        {"sec-fetch-site": "same-site"},  # a sibling subdomain is another site's page too
        {"origin": f"https://{host}"},  # another scheme is another origin
    ]
    for headers in cross_site * 3:  # more than the address's quota: none of them spend it
        response = httpx.post(f"{site}/api/v1/sessions", headers=headers)
        assert response.status_code == 403, (headers, response.text)
        assert "cross-site" in response.json()["error"]
    # API clients (no Origin, no Sec-Fetch-Site) and the site's own pages still work, and
    # the address still has its whole quota.
    allowed = [{}, {"origin": site, "sec-fetch-site": "same-origin"}, {"sec-fetch-site": "none"}]
    for headers in allowed:
        response = httpx.post(f"{site}/api/v1/sessions", headers=headers)
        assert response.status_code == 201, (headers, response.text)
    assert httpx.post(f"{site}/api/v1/sessions").status_code == 429
