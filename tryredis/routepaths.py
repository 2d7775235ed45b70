"""The paths of named routes, computed once: what templates link to on every page.

Starlette's ``request.url_for`` walks every route of the app and builds an
absolute URL from the request each time; a lesson page asks for about 50 paths,
and that was half of its render (4 of 8 ms). A route's path depends only on the
router, the root path it is mounted at, the route's name and its parameters, never
on the Host or the learner, so it is cached on those.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

MAX_PATHS = 4096
"""The most paths kept (lessons times routes is far below; a bound all the same)."""

_paths: dict[tuple[Any, ...], tuple[object, str]] = {}  # key -> (its router, the path)


def route_path(request: Request, name: str, /, **params: Any) -> str:
    """``request.url_for(name, **params).path``, without walking the routes again."""
    router = request.scope.get("router")  # not hashable (Starlette's routes define __eq__)
    try:
        key = (id(router), request.scope.get("root_path", ""), name, tuple(sorted(params.items())))
        found = _paths.get(key)
    except TypeError:  # a parameter that cannot be a key: compute it every time
        return request.url_for(name, **params).path
    if found is not None and found[0] is router:  # the same router, not one reusing its id
        return found[1]
    path = request.url_for(name, **params).path
    if len(_paths) < MAX_PATHS or key in _paths:
        _paths[key] = (router, path)
    return path
