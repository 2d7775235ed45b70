"""``GET /repl/subscribe``: SUBSCRIBE in the learner's own channels, streamed as server-sent events.

The engine opens the subscription (``Engine.subscribe``: its limits, its
dedicated connection, the learner's one-at-a-time marker); this view checks who
is asking and turns each event into SSE. Each event's data is exactly what
redis-cli prints.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from tryredis.repl import Stream, SubscriptionRefused
from tryredis.views.api import ApiError, guarded, identify
from tryredis.views.common import client_address, services_of

STATUS = {"invalid": 400, "busy": 503, "already": 409, "unreachable": 503}


def sse(text: str, event: str | None = None) -> bytes:
    """One server-sent event whose data is ``text`` (several lines allowed)."""
    lines = [f"event: {event}"] if event else []
    lines += [f"data: {line}" for line in text.split("\n")]
    return ("\n".join(lines) + "\n\n").encode()


@guarded
async def subscribe(request: Request) -> Response:
    """Stream SUBSCRIBE's confirmations and messages until the client goes or time runs out."""
    # A streamed GET carries no CSRF header: the cookie and same-origin suffice, since
    # it only reads the learner's own channels and only a same-origin page can read it.
    learner_id = identify(request, csrf=False).learner_id
    services = services_of(request)
    if not await services.sessions.exists(learner_id):
        raise ApiError(401, "no sandbox yet: run a command first")
    try:
        stream = await services.engine.subscribe(
            learner_id, request.query_params.get("line", ""), client_address(request)
        )
    except SubscriptionRefused as refused:
        raise ApiError(STATUS[refused.reason], str(refused)) from None
    return SubscriptionResponse(stream)


class SubscriptionResponse(StreamingResponse):
    """Server-sent events of one stream, which is closed however the response ends.

    A client that goes at once can end the response before the event generator
    ever starts (so its ``finally`` never runs): the stream is closed here too.
    """

    def __init__(self, stream: Stream) -> None:
        super().__init__(
            _events(stream),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the events; release the learner's subscription when sending stops."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            await asyncio.shield(self.stream.close())


async def _events(stream: Stream) -> AsyncIterator[bytes]:
    async for event in stream.events():
        if event.keepalive:
            yield b": keep-alive\n\n"
        else:
            yield sse(event.text, "end" if event.final else None)
