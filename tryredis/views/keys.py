"""The REPL's helpers: the command catalogue, the keys panel, and Tab completion of key names.

The catalogue is the same for everyone and never changes while the process
runs, so it is served at a URL holding its hash, cached for a year. The other
three read the learner's own sandbox: they go through ``open_sandbox`` (cookie,
same origin and the CSRF header, or a bearer token) and pay one command of the
learner's rate limit each, whatever they read (at most ``OVERVIEW_LIMIT`` keys or
one page of one key). A learner without a sandbox yet gets an empty answer and
no sandbox: looking at a page must not create one.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tryredis.repl import inspect
from tryredis.repl.table import CommandError, Refusal
from tryredis.repl.tokenizer import LineError, split_line
from tryredis.ui import catalogue
from tryredis.views.api import ApiError, guarded, identify, open_sandbox
from tryredis.views.common import services_of

OVERVIEW_LIMIT = 50
COMPLETIONS_LIMIT = 50
NO_STORE = {"cache-control": "no-store"}


async def commands(request: Request) -> Response:
    """GET /repl/commands.<hash>.json: every command's argument tree and availability."""
    body, _ = catalogue.document()
    return Response(
        body,
        media_type="application/json",
        headers={"cache-control": "public, max-age=31536000, immutable"},
    )


def catalogue_path() -> str:
    """The catalogue's route path, with its hash in it."""
    return f"/repl/commands.{catalogue.document()[1]}.json"


async def _has_sandbox(request: Request) -> bool:
    caller = identify(request)
    return await services_of(request).sessions.exists(caller.learner_id)


def _key_json(info: inspect.KeyInfo) -> dict[str, Any]:
    return {
        "name": inspect.display(info.name),
        "arg": inspect.typed_form(info.name),
        "type": info.type,
        "ttl_ms": info.ttl_ms,
        "size": info.size,
    }


def _pattern(request: Request) -> bytes:
    text = request.query_params.get("match", "").strip()
    if not text:
        return b"*"
    pattern = text.encode("utf-8", "surrogateescape")
    # A filter without glob characters finds keys that contain it.
    return pattern if any(c in text for c in "*?[") else b"*" + inspect.glob_escape(pattern) + b"*"


@guarded
async def keys(request: Request) -> Response:
    """GET /repl/keys?match=: the learner's keys (first ``OVERVIEW_LIMIT``) with type, TTL, size."""
    if not await _has_sandbox(request):
        return JSONResponse({"keys": [], "total": 0}, headers=NO_STORE)
    sandbox = await open_sandbox(request, 1, own_state=True)
    try:
        found = await inspect.overview(sandbox, pattern=_pattern(request), limit=OVERVIEW_LIMIT)
    except (CommandError, Refusal) as error:
        raise ApiError(400, str(error)) from None
    return JSONResponse(
        {"keys": [_key_json(k) for k in found.keys], "total": found.total}, headers=NO_STORE
    )


@guarded
async def complete(request: Request) -> Response:
    """GET /repl/complete?prefix=: the learner's key names starting with ``prefix``."""
    if not await _has_sandbox(request):
        return JSONResponse({"keys": [], "more": False}, headers=NO_STORE)
    prefix = request.query_params.get("prefix", "").encode("utf-8", "surrogateescape")
    sandbox = await open_sandbox(request, 1, own_state=True)
    names = await inspect.key_names(sandbox, inspect.glob_escape(prefix) + b"*")
    return JSONResponse(
        {
            "keys": [
                {"name": inspect.display(n), "arg": inspect.typed_form(n)}
                for n in names[:COMPLETIONS_LIMIT]
            ],
            "more": len(names) > COMPLETIONS_LIMIT,
        },
        headers=NO_STORE,
    )


def _key_argument(request: Request) -> bytes:
    """The ``key`` parameter, written as at the prompt (quotes and escapes allowed)."""
    typed = request.query_params.get("key", "")
    try:
        args = split_line(typed, max_bytes=4096, max_args=2)
    except LineError:
        args = []
    if len(args) != 1:
        raise ApiError(400, "send the key as one argument, written as at the prompt")
    return args[0]


def _item(value: Any) -> Any:
    if isinstance(value, list):
        return [_item(v) for v in value]
    if isinstance(value, bytes | int):
        return inspect.display(value) if isinstance(value, bytes) else value
    return value


@guarded
async def key(request: Request) -> Response:
    """GET /repl/key?key=&page=: one page of one key's value, shaped for its type."""
    name = _key_argument(request)
    if not await _has_sandbox(request):
        return JSONResponse({"gone": True}, headers=NO_STORE)
    sandbox = await open_sandbox(request, 1, own_state=True)
    try:
        view = await inspect.inspect(sandbox, name, request.query_params.get("page", ""))
    except (CommandError, Refusal) as error:
        raise ApiError(400, str(error)) from None
    if view is None:
        return JSONResponse({"gone": True}, headers=NO_STORE)
    extra: dict[str, Any] = {}
    for field, value in view.extra.items():
        if field == "value":
            extra["value"] = inspect.display(value)
            extra["hex"] = value.hex()
        elif field == "groups":
            extra["groups"] = [{**g, "name": inspect.display(g["name"])} for g in value]
        else:
            extra[field] = value
    return JSONResponse(
        {
            **_key_json(view.info),
            "encoding": view.encoding,
            "items": _item(view.items),
            "next_page": view.next_page,
            **extra,
        },
        headers=NO_STORE,
    )
