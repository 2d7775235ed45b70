"""The app as a whole: pages, error pages, security headers, health, static assets."""

from __future__ import annotations

import re

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.conftest import settings_for
from tests.support.redis_servers import RedisServer
from tryredis.app import create_app
from tryredis.security import SECURITY_HEADERS
from tryredis.settings import Settings


def test_index_lists_every_lesson_in_order(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    lessons = client.app.state.lessons  # type: ignore[attr-defined]
    positions = [response.text.index(f'href="/lesson/{lesson.slug}"') for lesson in lessons]
    assert positions == sorted(positions)
    for lesson in lessons:
        assert lesson.title.replace("'", "&#39;").replace('"', "&#34;") in response.text
        assert f"{lesson.minutes} min" in response.text


def test_lesson_page_has_navigation_and_the_repl(client: TestClient) -> None:
    lessons = list(client.app.state.lessons)  # type: ignore[attr-defined]
    second = lessons[1]
    page = client.get(f"/lesson/{second.slug}").text
    assert 'data-testid="lesson"' in page and 'data-testid="repl"' in page
    assert f'href="/lesson/{lessons[0].slug}"' in page and 'rel="prev"' in page
    assert f'href="/lesson/{lessons[2].slug}"' in page and 'rel="next"' in page
    first_page = client.get(f"/lesson/{lessons[0].slug}").text
    assert 'rel="prev"' not in first_page


@pytest.mark.parametrize(
    "path",
    [
        "/lesson/..%2F..%2Fetc%2Fpasswd",
        "/lesson/%2e%2e",
        "/lesson/no-such-lesson",
        "/lesson/a%00b",
        "/lesson/..%5C..%5Cwindows",
        "/lesson/" + "x" * 300,
        "/nothing/here",
        "/static/../pyproject.toml",
        "/static/%2e%2e/pyproject.toml",
    ],
)
def test_unknown_paths_are_404_pages(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert 'data-testid="not-found"' in response.text
    assert "<html" in response.text  # the full layout


@pytest.mark.parametrize("path", ["/", "/repl", "/healthz", "/nope", "/static/css/site.css"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    response = client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'self'" in csp


def test_pages_have_no_inline_script_or_style(client: TestClient) -> None:
    lessons = list(client.app.state.lessons)  # type: ignore[attr-defined]
    for path in ["/", "/repl", *(f"/lesson/{lesson.slug}" for lesson in lessons)]:
        page = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
        assert "<style" not in page and " style=" not in page, path
        assert not re.search(r"\son[a-z]+=", page), path  # no inline event handlers


def test_server_errors_render_the_500_page_with_headers(app_settings: Settings) -> None:
    app = create_app(app_settings)

    async def boom(request: Request) -> Response:
        raise RuntimeError("boom")

    app.router.routes.append(Route("/boom", boom))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert 'data-testid="server-error"' in response.text
    assert "boom" not in response.text and "Traceback" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


def test_healthz_reports_redis(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["app"] == "ok" and response.json()["redis"] == "ok"


def test_healthz_is_503_when_redis_is_down(fresh_redis: RedisServer) -> None:
    with TestClient(create_app(settings_for(fresh_redis))) as client:
        assert client.get("/healthz").status_code == 200
        fresh_redis.stop()
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["redis"] == "unreachable"
        # Pages still render (without progress) while Redis is away.
        assert client.get("/").status_code == 200


def test_a_page_that_needs_redis_is_503_with_a_message_while_it_is_down(
    fresh_redis: RedisServer,
) -> None:
    with TestClient(create_app(settings_for(fresh_redis))) as client:
        fresh_redis.stop()
        # Joining a class (like a teacher's dashboard) has no page to show without Redis.
        response = client.post("/join", data={"code": "ABCDEF", "name": "Ada"})
        assert response.status_code == 503
        assert "Redis is unreachable right now" in response.text
        assert response.headers["retry-after"] == "1"


def test_fingerprinted_static_assets_are_immutable(client: TestClient) -> None:
    page = client.get("/").text
    match = re.search(r'href="(/static/[0-9a-f]{12}/css/site\.css)"', page)
    assert match, "the stylesheet link is fingerprinted"
    response = client.get(match.group(1))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    plain = client.get("/static/css/site.css")
    assert plain.status_code == 200 and "immutable" not in plain.headers["cache-control"]
    stale = client.get("/static/000000000000/css/site.css")
    assert stale.status_code == 404


def test_vendored_htmx_is_served_and_referenced(client: TestClient) -> None:
    page = client.get("/").text
    match = re.search(r'src="(/static/[0-9a-f]{12}/vendor/htmx-4\.0\.1\.min\.js)"', page)
    assert match
    assert client.get(match.group(1)).status_code == 200


def test_lesson_pages_answer_if_none_match_with_304(client: TestClient) -> None:
    slug = next(iter(client.app.state.lessons)).slug  # type: ignore[attr-defined]
    first = client.get(f"/lesson/{slug}")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    assert "Cookie" in first.headers["vary"]
    again = client.get(f"/lesson/{slug}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag


def test_first_visit_sets_a_signed_httponly_cookie(client: TestClient) -> None:
    response = client.get("/")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("tryredis_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Secure" not in cookie  # plain http here; https sets Secure
    second = client.get("/")
    assert "set-cookie" not in second.headers
