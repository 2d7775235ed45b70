"""``GET /repl/subscribe``: SUBSCRIBE in the learner's own channels, streamed as server-sent events.

A subscribed connection cannot serve other commands, so each subscription gets
a dedicated connection (never a pooled one), authenticated as the sandbox's
Redis user; channel names carry the learner's prefix like keys do. Limits: one
subscription per learner, ``MAX_PER_WORKER`` per process, ``MAX_CHANNELS``
channels, and ``LIFETIME`` seconds (Redis's own ``timeout`` never closes
subscribers). Each event's data is exactly what redis-cli prints.

PSUBSCRIBE is refused: a Redis ACL can grant a pattern subscription only for
a pattern literally equal to an allowed one, so no learner pattern would pass
the sandbox user's ``&P u:*``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from tryredis.repl.formatter import format_reply
from tryredis.repl.namespace import Namespace
from tryredis.repl.spec import CommandError, Refusal
from tryredis.repl.table import resolve
from tryredis.repl.tokenizer import LineError, split_line
from tryredis.views.api import ApiError, guarded, identify
from tryredis.views.common import services_of
from tryredis.wire import RawConnection, Reply

MAX_CHANNELS = 5
MAX_PER_WORKER = 64
LIFETIME = 300.0
KEEPALIVE = 15.0
READING = "Reading messages... (press Ctrl-C to quit)"

_active = 0  # subscriptions open in this process


def sse(text: str, event: str | None = None) -> bytes:
    """One server-sent event whose data is ``text`` (several lines allowed)."""
    lines = [f"event: {event}"] if event else []
    lines += [f"data: {line}" for line in text.split("\n")]
    return ("\n".join(lines) + "\n\n").encode()


def _channels(line: str) -> list[bytes]:
    try:
        args = split_line(line)
        if not args:
            raise ApiError(400, "send ?line=SUBSCRIBE channel [channel ...]")
        spec = resolve(args)
    except (LineError, CommandError, Refusal) as error:
        raise ApiError(400, str(error)) from None
    if spec.name == "psubscribe":
        raise ApiError(400, "PSUBSCRIBE is not available in the sandbox; SUBSCRIBE to channels")
    if spec.name != "subscribe":
        raise ApiError(400, "this endpoint runs SUBSCRIBE only")
    channels = list(dict.fromkeys(args[1:]))
    if len(channels) > MAX_CHANNELS:
        raise ApiError(400, f"at most {MAX_CHANNELS} channels per subscription")
    return channels


@guarded
async def subscribe(request: Request) -> Response:
    """Stream SUBSCRIBE's confirmations and messages until the client goes or time runs out."""
    global _active
    # A streamed GET carries no CSRF header: the cookie and same-origin suffice, since
    # it only reads the learner's own channels and only a same-origin page can read it.
    learner_id = identify(request, csrf=False).learner_id
    channels = _channels(request.query_params.get("line", ""))
    services = services_of(request)
    if not await services.sessions.exists(learner_id):
        raise ApiError(401, "no sandbox yet: run a command first")
    if _active >= MAX_PER_WORKER:
        raise ApiError(503, "too many subscriptions right now; try again later")
    marker = services.keys.subscription(learner_id)
    if not await services.site.set(marker, 1, nx=True, ex=int(LIFETIME) + 5):
        raise ApiError(409, "you already have a subscription open (one at a time)")
    url = services.settings.sandbox_url or services.settings.redis_url or ""
    namespace = Namespace(services.keys.namespace(learner_id))
    _active += 1

    async def release() -> None:
        global _active
        _active -= 1
        with contextlib.suppress(RedisError):
            await services.site.delete(marker)

    try:
        # A dedicated connection, never a pooled one: SUBSCRIBE changes its state.
        # No socket timeout: the stream waits for messages under its own deadline.
        connection = await RawConnection.open(url)
    except (RedisError, OSError):
        await release()
        raise ApiError(503, "Redis is unreachable right now") from None
    return StreamingResponse(
        _stream(connection, channels, namespace, release),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


def _show(reply: Reply, namespace: Namespace) -> str:
    # ["subscribe"|"message", channel, count|payload]: the channel loses its prefix.
    if isinstance(reply, list) and len(reply) == 3 and isinstance(reply[1], bytes):
        reply = [reply[0], namespace.strip_key(reply[1]), reply[2]]
    return format_reply(reply)


async def _stream(
    connection: RawConnection,
    channels: list[bytes],
    namespace: Namespace,
    release: Callable[[], Awaitable[None]],
) -> AsyncIterator[bytes]:
    replies = connection.replies
    try:
        await connection.send([(b"SUBSCRIBE", *(namespace.key(c) for c in channels))])
        yield sse(READING)
        deadline = asyncio.get_running_loop().time() + LIFETIME
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                yield sse(f"Subscription closed after {LIFETIME / 60:g} minutes.", "end")
                return
            try:
                async with asyncio.timeout(min(KEEPALIVE, remaining)):
                    reply = await replies.next()
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            yield sse(_show(reply, namespace))
    except (RedisError, OSError):
        yield sse("Redis closed the subscription.", "end")
    finally:
        await connection.close()
        await release()
