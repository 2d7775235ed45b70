"""Route paths computed once (tryredis.routepaths): the same as Starlette's, per router and root."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from tryredis import routepaths
from tryredis.routepaths import route_path


def _ok(request: Request) -> Response:
    return Response()


def _request(router: Router, root_path: str = "") -> Request:
    scope = {
        "type": "http", "method": "GET", "path": "/", "root_path": root_path,
        "query_string": b"", "headers": [(b"host", b"evil.example")], "router": router,
        "scheme": "http", "server": ("testserver", 80),
    }  # fmt: skip
    return Request(scope)


def test_the_paths_are_starlettes_and_never_name_the_host() -> None:
    router = Router([Route("/lesson/{slug}", _ok, name="lesson"), Route("/", _ok, name="home")])
    for root in ("", "/tryredis"):
        request = _request(router, root)
        for name, params in (("lesson", {"slug": "hashes"}), ("home", {})):
            expected = request.url_for(name, **params).path
            assert route_path(request, name, **params) == expected
            assert route_path(request, name, **params) == expected  # from the cache
    assert route_path(_request(router, "/tryredis"), "home") == "/tryredis/"


def test_another_router_gets_its_own_paths() -> None:
    first = Router([Route("/one", _ok, name="page")])
    second = Router([Route("/two", _ok, name="page")])
    assert route_path(_request(first), "page") == "/one"
    assert route_path(_request(second), "page") == "/two"
    assert route_path(_request(first), "page") == "/one"


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routepaths, "_paths", {})
    monkeypatch.setattr(routepaths, "MAX_PATHS", 3)
    router = Router([Route("/lesson/{slug}", _ok, name="lesson")])
    paths = [route_path(_request(router), "lesson", slug=f"s{i}") for i in range(10)]
    assert paths == [f"/lesson/s{i}" for i in range(10)]
    assert len(routepaths._paths) == 3
