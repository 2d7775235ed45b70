"""Sessions over HTTP: another site cannot make sandboxes with a student's address, and a
deleted session's cookie never comes back."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.abuse.live_site import Browser, live_app
from tests.support.redis_servers import RedisServer

PER_HOUR = 3


@pytest.fixture(scope="module")
def quota_site(server: RedisServer) -> Iterator[str]:
    with live_app(server, sessions_per_ip_hour=PER_HOUR) as (url, _app):
        yield url


@pytest.fixture(scope="module")
def site(server: RedisServer) -> Iterator[str]:
    with live_app(server) as (url, _app):
        yield url


def test_cross_site_pages_cannot_create_sandboxes(quota_site: str) -> None:
    site = quota_site
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


def test_a_deleted_sessions_cookie_never_brings_its_id_back(site: str, server: RedisServer) -> None:
    first = Browser(site)
    try:
        assert first.run("SET mine 1") == "OK"
        old_cookie = first.http.cookies["tryredis_session"]
        old_id = old_cookie.partition(".")[0]
        deleted = first.request("DELETE", "/api/v1/sessions/current")
        assert deleted.status_code == 204
        # The browser that deleted it gets a new id, which works.
        new_cookie = first.http.cookies["tryredis_session"]
        assert new_cookie.partition(".")[0] != old_id
        first.load("/repl")
        assert first.run("GET mine") == "(nil)"
    finally:
        first.close()

    admin = server.client()
    # A copy of the old cookie (another tab, another device, someone who copied it).
    with httpx.Client(base_url=site, cookies={"tryredis_session": old_cookie}) as copy:
        page = copy.get("/repl")
        csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
        headers = {"x-csrf-token": csrf, "origin": site}
        for path in ("/api/v1/run", "/lab/cache-aside/fetch"):
            body = {"line": "PING"} if path.startswith("/api") else {"repo": "redis/redis"}
            copy.cookies.set("tryredis_session", old_cookie)  # it keeps coming back
            response = copy.post(path, json=body, headers=headers)
            assert response.status_code == 401, (path, response.text)
            assert "deleted" in response.json()["error"]
            # The browser forgets the dead cookie, so its next page starts a new learner.
            assert "max-age=0" in response.headers["set-cookie"].lower()
            assert not admin.exists(f"tryredis:s:{{{old_id}}}")
    # The mark lasts as long as a cookie does (TRYREDIS_SANDBOX_IDLE_HOURS, 72 h by default).
    assert 71 * 3_600_000 < admin.pttl(f"tryredis:s:{{{old_id}}}.end") <= 72 * 3_600_000
