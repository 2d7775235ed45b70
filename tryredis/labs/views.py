"""The lab pages and the endpoints they call (routes in ``tryredis.routes``, names ``lab-*``).

Pages render like lesson pages (layout, REPL beside, ETag, ``private, no-cache``).
Endpoints open the learner's sandbox with the cookie and ``X-CSRF-Token`` like
the REPL's ``POST /api/v1/run``, run the lab, and answer JSON with what was
measured: times from ``time.perf_counter()``, hit or miss from what Redis
answered, upstream calls from the fake upstream's counter.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tryredis.labs import cache_aside, ratelimit, stampede
from tryredis.labs.config import lab_config
from tryredis.labs.sandboxio import SandboxRedis
from tryredis.labs.sessions import COOKIE, SessionStore, check_password
from tryredis.labs.web import (
    lab_body,
    lab_endpoint,
    lab_json,
    open_lab,
    repo_name,
    whole_number,
)
from tryredis.views.api import ApiError
from tryredis.views.common import client_address
from tryredis.views.pages import render_page

log = logging.getLogger("tryredis.labs")


# Pages


async def labs_index(request: Request) -> Response:
    """GET /lab: the list of labs."""
    return await render_page(request, "labs/index.html", {})


def _lab_page(template: str) -> Callable[[Request], Awaitable[Response]]:
    async def page(request: Request) -> Response:
        context = {"config": lab_config(request), "site_settings": request.app.state.settings}
        return await render_page(request, template, context)

    page.__name__ = "lab_" + template.removeprefix("labs/").removesuffix(".html")
    page.__doc__ = f"GET: the lab page {template} beside the REPL."
    return page


cache_aside_page = _lab_page("labs/cache_aside.html")
stampede_page = _lab_page("labs/stampede.html")
rate_limit_page = _lab_page("labs/rate_limit.html")
sessions_page = _lab_page("labs/sessions.html")
http_caching_page = _lab_page("labs/http_caching.html")


# Cache-aside (lessons 12 and 13)


@lab_endpoint
async def cache_aside_fetch(request: Request) -> Response:
    """POST {"repo"}: read the stars through the cache; hit or miss, time, upstream calls."""
    repo = repo_name((await lab_body(request)).get("repo"))
    lab = await open_lab(request, 3)  # GET, TTL, HMGET at least
    config = lab.config
    result = await cache_aside.fetch(lab.redis, lab.upstream, lab.database, repo, config.stars_ttl)
    await lab.settle()
    return lab_json(
        {
            "repo": repo,
            "key": result.key,
            "outcome": "hit" if result.hit else "miss",
            "stars": result.stars,
            "ms": round(result.ms, 2),
            "upstream_calls": result.upstream_calls,
            "ttl": result.ttl,
            "database_stars": result.database_stars,
            "stale": result.stale,
            "database_key": lab.database.key(repo),
            **lab.usage(),
        }
    )


@lab_endpoint
async def cache_aside_update(request: Request) -> Response:
    """POST {"repo", "stars", "invalidate"}: write the database, then maybe DEL the key."""
    body = await lab_body(request)
    repo = repo_name(body.get("repo"))
    stars = whole_number(body.get("stars"), "stars", 0, 10_000_000)
    invalidate = body.get("invalidate") is True
    lab = await open_lab(request, 2 if invalidate else 1)
    result = await cache_aside.update_stars(
        lab.redis, lab.database, repo, stars, invalidate=invalidate
    )
    await lab.settle()
    return lab_json(
        {
            "repo": repo,
            "database_stars": result.stars,
            "invalidated": result.invalidated,
            "deleted": result.deleted,
            "ms": round(result.ms, 2),
            "key": cache_aside.stars_key(repo),
            **lab.usage(),
        }
    )


# Stampede (lesson 13)


@lab_endpoint
async def stampede_run(request: Request) -> Response:
    """POST {"clients", "lock", "crash"}: N concurrent clients on a cold key."""
    body = await lab_body(request)
    config = lab_config(request)
    clients = whole_number(
        body.get("clients", config.stampede_clients), "clients", 2, config.stampede_max_clients
    )
    lock = body.get("lock") is True
    crash = lock and body.get("crash") is True
    # Certain: the DEL, and each client's GET and SET (or SET NX); the waiting
    # clients' polls are paid for once the run has counted them.
    lab = await open_lab(request, 1 + 2 * clients)
    result = await stampede.run_stampede(
        lab.redis, lab.upstream, "redis/redis", clients, config, lock=lock, crash=crash
    )
    await lab.settle()
    usage = lab.usage()
    usage["trace"] = usage["trace"][:12]
    return lab_json(
        {
            "clients": result.clients,
            "lock": result.lock,
            "crash": crash,
            "upstream_calls": result.upstream_calls,
            "redis_commands_clients": result.redis_commands,
            "ms": round(result.ms, 1),
            "fastest_ms": round(result.fastest_ms, 1),
            "slowest_ms": round(result.slowest_ms, 1),
            "lock_refusals": result.lock_refusals,
            "waiters": result.waiters,
            "polls": result.polls,
            "self_loads": result.self_loads,
            "agreed": result.agreed,
            "lock_left_ms": result.lock_left_ms,
            "key": result.key,
            "lock_key": result.lock_key,
            **usage,
        }
    )


# Rate limiting (lesson 14)


@lab_endpoint
async def rate_limited(request: Request) -> Response:
    """POST /lab/rate-limit/{limiter}: one request through the fixed or sliding window."""
    limiter = request.path_params["limiter"]
    if limiter not in ("fixed", "sliding"):
        raise ApiError(404, "the limiters are fixed and sliding")
    lab = await open_lab(request, 2 if limiter == "fixed" else 4)
    config = lab.config
    client = client_address(request)
    start = time.perf_counter()
    check = ratelimit.fixed_window if limiter == "fixed" else ratelimit.sliding_window
    decision = await check(lab.redis, client, config.rate_limit, config.rate_window, config.clock())
    ms = (time.perf_counter() - start) * 1000
    await lab.settle()
    headers = {
        "x-ratelimit-limit": str(decision.limit),
        "x-ratelimit-remaining": str(decision.remaining),
    }
    payload: dict[str, Any] = {
        "limiter": limiter,
        "allowed": decision.allowed,
        "count": decision.count,
        "limit": decision.limit,
        "window": decision.window,
        "key": decision.key,
        "ms": round(ms, 2),
        **lab.usage(),
    }
    if decision.allowed:
        return lab_json(payload, headers=headers)
    headers["retry-after"] = str(decision.retry_after)
    payload |= {"error": "too many requests", "retry_after": decision.retry_after}
    return lab_json(payload, 429, headers)


# Sessions (lesson 15)


def _session_store(request: Request, lab_redis: SandboxRedis) -> SessionStore:
    config = lab_config(request)
    return SessionStore(lab_redis, config.session_idle, config.session_absolute)


def _cookie_text(request: Request) -> str:
    secure = "; Secure" if request.url.scheme == "https" else ""
    hidden = "<random, unreadable by scripts>"
    return f"{COOKIE}={hidden}; Path=/lab/sessions; HttpOnly{secure}; SameSite=Lax"


@lab_endpoint
async def session_login(request: Request) -> Response:
    """POST {"user", "password"}: a new session (and the old one, if any, deleted)."""
    body = await lab_body(request)
    user, password = body.get("user", ""), body.get("password", "")
    if not isinstance(user, str) or not isinstance(password, str):
        raise ApiError(400, "user and password are strings")
    user, password = user[:64], password[:256]
    old = request.cookies.get(COOKIE)
    valid = check_password(user, password)
    lab = await open_lab(request, 4 if valid else 1)  # a failed login costs a token too
    if not valid:
        await lab.settle()
        return lab_json({"error": "invalid credentials", **lab.usage()}, 401)
    store = _session_store(request, lab.redis)
    replaced = await store.delete(old) if old else None  # a new token at login: no fixation
    token, session = await store.create(user, lab.config.clock())
    await lab.settle()
    response = lab_json(
        {
            "user": user,
            "session_key": session.key,
            "fields": session.fields,
            "ttl": session.ttl,
            "replaced": replaced,
            "cookie": _cookie_text(request),
            **lab.usage(),
        }
    )
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/lab/sessions",
    )
    return response


@lab_endpoint
async def session_me(request: Request) -> Response:
    """GET: who am I? Reading the session pushes its TTL back (the sliding idle timeout)."""
    token = request.cookies.get(COOKIE)
    lab = await open_lab(request, 2 if token else 1)
    session = await _session_store(request, lab.redis).load(token, lab.config.clock())
    await lab.settle()
    if session is None:
        return lab_json({"logged_in": False, "error": "not logged in", **lab.usage()}, 401)
    return lab_json(
        {
            "logged_in": True,
            "user": session.fields.get("user_id"),
            "session_key": session.key,
            "fields": session.fields,
            "ttl_before": session.ttl_before,
            "ttl": session.ttl,
            **lab.usage(),
        }
    )


@lab_endpoint
async def session_logout(request: Request) -> Response:
    """POST: delete the session; the cookie's token now points at nothing."""
    token = request.cookies.get(COOKIE)
    lab = await open_lab(request, 2 if token else 1)
    key = await _session_store(request, lab.redis).delete(token) if token else None
    await lab.settle()
    response = lab_json({"logged_out": True, "session_key": key, **lab.usage()})
    response.delete_cookie(
        COOKIE,
        path="/lab/sessions",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response
