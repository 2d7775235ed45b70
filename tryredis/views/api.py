"""The JSON API v1: create a sandbox, run lines in it, delete it (DESIGN.md, "HTTP API v1").

Status codes: 401 missing or unknown token, 403 cross-site or missing CSRF,
413 body too large, 415 not JSON, 429 rate limited (with Retry-After), 503
Redis unreachable. Nothing a learner types produces a 500: the engine turns
every learner mistake into a result.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from tryredis.identity import new_learner_id
from tryredis.repl import Sandbox, TransactionState
from tryredis.sessions import RateLimited
from tryredis.views.common import (
    COOKIE,
    client_address,
    same_origin,
    services_of,
    set_learner_cookie,
)
from tryredis.wire import ExecutorError

MAX_LINES = 20
_CLEAR_COOKIE = {"set-cookie": f"{COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"}


class ApiError(Exception):
    """An HTTP error answered as ``{"error": message}``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def api_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """The JSON error response every API failure uses."""
    return JSONResponse(
        {"error": message},
        status_code=status,
        headers={"cache-control": "no-store", **(headers or {})},
    )


@dataclass(frozen=True)
class Caller:
    """Who is calling: a learner id, and whether it came from the browser's cookie."""

    learner_id: str
    via_cookie: bool


def identify(request: Request, *, csrf: bool = True) -> Caller:
    """Bearer token, or cookie plus same-origin (and the CSRF token); else 401/403.

    ``csrf=False`` is for requests that only read the learner's own data and that a
    browser cannot add headers to (EventSource, a streamed GET).
    """
    services = services_of(request)
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        learner_id = services.signer.unsign("token", token.strip())
        if scheme.lower() != "bearer" or learner_id is None:
            raise ApiError(401, "unknown or malformed token")
        return Caller(learner_id, via_cookie=False)
    learner_id = services.signer.unsign("cookie", request.cookies.get(COOKIE))
    if learner_id is None:
        raise ApiError(401, "missing token: POST /api/v1/sessions for one")
    if not same_origin(request):
        raise ApiError(403, "cross-site request refused")
    if csrf and not services.signer.check_csrf(learner_id, request.headers.get("x-csrf-token")):
        raise ApiError(403, "missing or wrong X-CSRF-Token header")
    return Caller(learner_id, via_cookie=True)


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body: 413 over ``limit`` bytes, 408 when it arrives too slowly."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"the body is over {limit} bytes")
    seconds = services_of(request).settings.http_body_timeout_seconds
    receive = request.receive  # messages straight from the server: most bodies are one
    parts = bytearray()
    try:
        # Under any server (``uvicorn server:app`` too): a body dripped a byte at a time
        # must not hold a worker's task and connection for as long as the client likes.
        async with asyncio.timeout(seconds):
            while True:
                message = await receive()
                if message["type"] != "http.request":  # the client went away
                    raise ClientDisconnect
                chunk: bytes = message.get("body", b"")
                if len(parts) + len(chunk) > limit:
                    raise ApiError(413, f"the body is over {limit} bytes")
                if message.get("more_body", False):
                    parts += chunk
                elif not parts:  # the whole body in one message: no copy
                    return chunk
                else:
                    return bytes(parts + chunk)
    except TimeoutError:
        late = f"the body did not arrive within {seconds:g} s (TRYREDIS_HTTP_BODY_TIMEOUT_SECONDS)"
        raise ApiError(408, late, {"connection": "close"}) from None


async def read_json(request: Request, limit: int) -> Any:
    """The request's JSON body; {} when empty (413 over ``limit`` bytes, 415 not JSON, 400 bad)."""
    body = await read_body(request, limit)
    if not body:
        return {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise ApiError(415, "send the body as application/json")
    return parse_json(body)


def parse_json(body: bytes) -> Any:
    """JSON text as values; 400 when it is not JSON or nests deeper than the parser can go."""
    try:
        return json.loads(body)
    except RecursionError:  # 1,000 ``[`` exhaust the C parser's recursion: the body's fault
        raise ApiError(400, "the body's JSON is nested too deeply") from None
    except ValueError:
        raise ApiError(400, "the body is not valid JSON") from None


def _lines(payload: Any) -> list[str]:
    if isinstance(payload, dict) and isinstance(payload.get("line"), str) and len(payload) == 1:
        return [payload["line"]]
    lines = payload.get("lines") if isinstance(payload, dict) and len(payload) == 1 else None
    if isinstance(lines, list) and all(isinstance(x, str) for x in lines) and lines:
        if len(lines) > MAX_LINES:
            raise ApiError(400, f"at most {MAX_LINES} lines per request")
        return lines
    raise ApiError(400, 'send {"line": "..."} or {"lines": ["...", ...]}')


BUSY = "The site is busy right now; try again in a moment."


def busy(error: Exception) -> bool:
    """Whether every pooled Redis connection stayed in use for the whole wait (not an outage)."""
    if isinstance(error, ExecutorError):
        return error.busy
    # redis-py's BlockingConnectionPool says this once its wait is over.
    return isinstance(error, RedisConnectionError) and "No connection available" in str(error)


def guarded(handler: Any) -> Any:
    """Map ApiError, rate limits and Redis outages to their status codes."""

    async def endpoint(request: Request) -> Response:
        try:
            response: Response = await handler(request)
            return response
        except ApiError as error:
            return api_error(error.status, error.message, error.headers)
        except RateLimited as error:
            return api_error(
                429, f"too many requests: {error.scope}", {"retry-after": str(error.retry_after)}
            )
        except (RedisError, ExecutorError, OSError) as error:
            if busy(error):
                return api_error(503, BUSY, {"retry-after": "1"})
            return api_error(503, "Redis is unreachable right now; try again in a moment.")

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


@guarded
async def create_session(request: Request) -> Response:
    """POST /api/v1/sessions: a new sandbox and its bearer token (never for another site's page)."""
    if not same_origin(request):  # else any page a student visits spends their address's quota
        raise ApiError(
            403, "cross-site request refused: sandboxes are made by API clients or this site"
        )
    await read_json(request, 1024)
    services = services_of(request)
    learner_id = new_learner_id()
    await services.sessions.create(learner_id, client_address(request), "api")
    token = services.signer.sign("token", learner_id)
    return JSONResponse({"token": token}, status_code=201, headers={"cache-control": "no-store"})


async def open_sandbox(request: Request, cost: int, *, own_state: bool = False) -> Sandbox:
    """The caller's sandbox, after authentication and ``cost`` commands of rate limit.

    A browser's first command creates its session. With ``own_state`` the
    sandbox ignores the learner's open MULTI (labs' commands must run now, not be
    queued) but keeps their WATCH list, so a watched key a lab writes aborts EXEC.
    """
    caller = identify(request)
    services = services_of(request)
    address = client_address(request)
    touch = await services.sessions.touch(caller.learner_id, address, cost)
    if not touch.exists:
        if not caller.via_cookie:
            raise ApiError(401, "unknown or expired token: POST /api/v1/sessions for a new one")
        if await services.sessions.ended(caller.learner_id):  # a copy of a deleted cookie
            raise ApiError(401, "this session was deleted: reload the page", _CLEAR_COOKIE)
        await services.sessions.create(caller.learner_id, address, "browser")
        touch = await services.sessions.touch(caller.learner_id, address, cost)
    if own_state:  # never queued, but a WATCH open in the REPL still sees these writes
        state = TransactionState.load(in_multi=False, failed=False, watch_json=touch.watch)
        return services.engine.open(caller.learner_id, state, touch.usage, address)
    return services.sandbox(caller.learner_id, touch, address)


@guarded
async def run(request: Request) -> Response:
    """POST /api/v1/run: run one line or up to 20 lines in the caller's sandbox."""
    line_limit = services_of(request).settings.line_max_bytes
    lines = _lines(await read_json(request, MAX_LINES * (6 * line_limit + 16) + 64))
    sandbox = await open_sandbox(request, len(lines))
    results = [await sandbox.run(line) for line in lines]
    await services_of(request).journal.record(
        sandbox.learner_id, [(r.line, r.output, r.kind) for r in results if r.line.strip()], "repl"
    )
    return JSONResponse(
        {"results": [{"line": r.line, "output": r.output, "kind": r.kind} for r in results]},
        headers={"cache-control": "no-store"},
    )


@guarded
async def delete_session(request: Request) -> Response:
    """DELETE /api/v1/sessions/current: the sandbox, its keys and its session are gone."""
    caller = identify(request)
    services = services_of(request)
    await services.sessions.end(caller.learner_id)  # first: nothing may recreate it meanwhile
    await services.sandbox_reset(caller.learner_id, keep_session=False)
    response = Response(status_code=204, headers={"cache-control": "no-store"})
    if caller.via_cookie:
        set_learner_cookie(request, response, new_learner_id())
    return response


@guarded
async def reset_sandbox(request: Request) -> Response:
    """POST /sandbox/reset (browser): delete the learner's keys, keep their progress."""
    caller = identify(request)
    if not caller.via_cookie:
        raise ApiError(403, "this action is for the browser; use DELETE /api/v1/sessions/current")
    await services_of(request).sandbox_reset(caller.learner_id, keep_session=True)
    return JSONResponse({"reset": True}, headers={"cache-control": "no-store"})
