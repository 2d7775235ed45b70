"""The HTTP caching lab's endpoints (lesson 16): conditional requests, and a caching proxy.

``http_repo`` answers with ``ETag``/``Last-Modified`` and 304s from the learner's
sandbox; ``http_origin`` is a public origin (no cookie, no Redis) behind
``http_proxy``, a tiny caching proxy that honours ``s-maxage`` and
``stale-while-revalidate`` and shows ``X-Cache: HIT|MISS|STALE`` and ``Age``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from tryredis.labs import conditional
from tryredis.labs.config import lab_config
from tryredis.labs.proxy import CachingProxy, origin
from tryredis.labs.upstream import SlowUpstream
from tryredis.labs.web import NO_STORE, lab_endpoint, lab_json, milliseconds, open_lab, repo_name
from tryredis.views.api import ApiError

log = logging.getLogger("tryredis.labs")


def _repo_from_path(request: Request) -> str:
    return repo_name(f"{request.path_params['owner']}/{request.path_params['name']}")


def _timing(total: float, upstream: SlowUpstream) -> str:
    return f"total;dur={milliseconds(total)}, upstream;dur={milliseconds(upstream.seconds)}"


@lab_endpoint
async def http_repo(request: Request) -> Response:
    """GET: the repository with ETag and Last-Modified; 304 when the client's copy is current."""
    start = time.perf_counter()
    repo = _repo_from_path(request)
    lab = await open_lab(request, 1)
    rep = await conditional.representation(
        lab.redis, lab.upstream, lab.database, repo, lab.config.representation_ttl
    )
    await lab.settle()
    headers = {
        "etag": rep.etag,
        "last-modified": conditional.http_date(rep.modified),
        "cache-control": conditional.PRIVATE,
        "vary": "Cookie",
        "x-upstream-calls": str(lab.upstream.calls),
        "x-redis-commands": str(lab.redis.commands),
        "server-timing": _timing(time.perf_counter() - start, lab.upstream),
    }
    if conditional.not_modified(request.headers, rep.etag, rep.modified):
        return Response(status_code=304, headers=headers)
    return Response(rep.body, media_type="application/json", headers=headers)


@lab_endpoint
async def http_star(request: Request) -> Response:
    """POST: one more star in the database, then the cached representation is deleted."""
    repo = _repo_from_path(request)
    lab = await open_lab(request, 4)
    row, deleted = await conditional.star(lab.redis, lab.database, repo)
    await lab.settle()
    return lab_json(
        {
            "repo": repo,
            "stars": row.stars,
            "deleted": deleted,
            "key": conditional.representation_key(repo),
            **lab.usage(),
        }
    )


async def http_origin(request: Request) -> Response:
    """GET: the public origin behind the proxy (no cookie read, no Redis: the same for all)."""
    start = time.perf_counter()
    repo = _repo_from_path_or_404(request)
    if repo is None:
        return lab_json({"error": "not a repository name"}, 404)
    config = lab_config(request)
    upstream = SlowUpstream(config.upstream_delay)
    answer = await origin(upstream, repo, config)
    headers = {**answer.headers, "server-timing": _timing(time.perf_counter() - start, upstream)}
    return Response(answer.body, headers=headers)


def _repo_from_path_or_404(request: Request) -> str | None:
    try:
        return _repo_from_path(request)
    except ApiError:
        return None


@lab_endpoint
async def http_proxy(request: Request) -> Response:
    """GET: the same resource through the caching proxy (X-Cache: HIT, MISS or STALE)."""
    start = time.perf_counter()
    repo = _repo_from_path(request)
    lab = await open_lab(request, 1)
    config = lab.config
    answer = await CachingProxy(lab.redis, config).get(
        repo, lambda: origin(lab.upstream, repo, config), request.headers
    )
    # A background refresh runs 1 upstream call and up to 4 commands after the answer.
    await lab.settle(reserve=4 if answer.refresh else 0)
    headers = {
        **answer.headers,
        **NO_STORE,
        "x-upstream-calls": str(lab.upstream.calls),
        "x-redis-commands": str(lab.redis.commands),
        "server-timing": _timing(time.perf_counter() - start, lab.upstream),
    }
    body = answer.body if answer.status == 200 else None
    response = Response(body, status_code=answer.status, headers=headers)
    if answer.refresh is not None:
        response.background = BackgroundTask(_quietly, answer.refresh)
    return response


async def _quietly(refresh: Callable[[], Awaitable[None]]) -> None:
    try:
        await refresh()
    except Exception:  # a failed refresh leaves the stale copy; the next request retries
        log.warning("background refresh failed", exc_info=True)
