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

from tryredis.repl import (
    CommandError,
    KeyInfo,
    LineError,
    Refusal,
    Reply,
    format_reply,
    inspect_key,
    key_names,
    overview,
    split_line,
)
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


def glob_escape(text: bytes) -> bytes:
    """``text`` as a glob pattern that matches only itself."""
    out = bytearray()
    for byte in text:
        if byte in b"*?[]\\":
            out.append(ord("\\"))
        out.append(byte)
    return bytes(out)


def typed_form(name: bytes) -> str:
    """How to type ``name`` at the prompt so redis-cli's splitting gives back these bytes."""
    try:
        text = name.decode("utf-8")
    except UnicodeDecodeError:
        return format_reply(name)  # a bulk string prints quoted, with redis-cli's escapes
    plain = text and all(ch.isprintable() and not ch.isspace() and ch not in "\"'" for ch in text)
    return text if plain else format_reply(name)


def display(value: Reply) -> str:
    """A value for the panel: UTF-8 text as it is, anything else with redis-cli's escapes."""
    data = value if isinstance(value, bytes) else str(value).encode()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return format_reply(data)[1:-1]
    return text if all(ch.isprintable() or ch == " " for ch in text) else format_reply(data)[1:-1]


def _key_json(info: KeyInfo) -> dict[str, Any]:
    return {
        "name": display(info.name),
        "arg": typed_form(info.name),
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
    return pattern if any(c in text for c in "*?[") else b"*" + glob_escape(pattern) + b"*"


@guarded
async def keys(request: Request) -> Response:
    """GET /repl/keys?match=: the learner's keys (first ``OVERVIEW_LIMIT``) with type, TTL, size."""
    if not await _has_sandbox(request):
        return JSONResponse({"keys": [], "total": 0}, headers=NO_STORE)
    sandbox = await open_sandbox(request, 1, own_state=True)
    try:
        found = await overview(sandbox, pattern=_pattern(request), limit=OVERVIEW_LIMIT)
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
    names = await key_names(sandbox, glob_escape(prefix) + b"*")
    return JSONResponse(
        {
            "keys": [{"name": display(n), "arg": typed_form(n)} for n in names[:COMPLETIONS_LIMIT]],
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
        return display(value) if isinstance(value, bytes) else value
    return value


@guarded
async def key(request: Request) -> Response:
    """GET /repl/key?key=&page=: one page of one key's value, shaped for its type."""
    name = _key_argument(request)
    if not await _has_sandbox(request):
        return JSONResponse({"gone": True}, headers=NO_STORE)
    sandbox = await open_sandbox(request, 1, own_state=True)
    try:
        view = await inspect_key(sandbox, name, request.query_params.get("page", ""))
    except (CommandError, Refusal) as error:
        raise ApiError(400, str(error)) from None
    if view is None:
        return JSONResponse({"gone": True}, headers=NO_STORE)
    extra: dict[str, Any] = {}
    for field, value in view.extra.items():
        if field == "value":
            extra["value"] = display(value)
            extra["hex"] = value.hex()
        elif field == "groups":
            extra["groups"] = [{**g, "name": display(g["name"])} for g in value]
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
