"""How a code cell's RESP requests reach ``/api/v1/resp``: the HTTP call, rate limits, turns.

``Endpoint`` POSTs a RESP body (one command, or a pipeline) and returns the RESP
answer, or raises ``SandboxError`` with the site's own message. The HTTP call is
pluggable: a synchronous XMLHttpRequest and ``fetch`` in the browser's worker, an HTTP
client under CPython in the tests. ``tryredis.pycells.connection`` puts redis-py on it.

- No automatic retries: the sandbox may already have run a command (an INCR sent twice
  counts twice). A rate-limited request (HTTP 429: nothing ran) waits ``Retry-After``
  and is sent again, up to ``Endpoint.max_wait`` seconds in all; concurrent asyncio
  requests then queue and go in turn.
- The sandbox keeps one MULTI queue and one WATCH list per learner, not one per
  connection. So that concurrent coroutines behave as separate connections would,
  ``redis.asyncio`` requests pass a ``Gate``: a request with MULTI runs alone, and one
  connection at a time may hold a WATCH (from WATCH until EXEC, DISCARD or UNWATCH);
  the others wait their turn, as they would for a lock.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import redis

RESP_TYPE = "application/x-redis-resp"


@dataclass(frozen=True)
class HTTPReply:
    """What a POST answered: the status, the body and the Retry-After header (seconds)."""

    status: int
    body: bytes
    retry_after: float | None = None


Post = Callable[[bytes], HTTPReply]
AsyncPost = Callable[[bytes], Awaitable[HTTPReply]]


class SandboxError(redis.exceptions.ConnectionError):
    """The site did not run the request (rate limit, session, size, Redis down)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


RATE_LIMITED = (
    "rate limited: the sandbox runs a few commands per second, and this request waited "
    "{:g} s for its turn (HTTP 429)"
)
WATCH_ENDS = frozenset({b"EXEC", b"DISCARD", b"UNWATCH"})


class Gate:
    """Who may send what, among one endpoint's concurrent asyncio requests (module docstring)."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.changed = asyncio.Condition()
        self.shared = 0  # requests in flight that may share the sandbox
        self.alone = False  # a request with MULTI is in flight
        self.watcher: object = None  # the connection holding a WATCH
        self.queue = asyncio.Lock()  # rate-limited requests go again in turn (asyncio's is FIFO)
        self.until = 0.0  # the loop's time before which the sandbox will answer 429

    def _fresh(self) -> asyncio.Condition:
        loop = asyncio.get_running_loop()
        if loop is not self.loop:  # asyncio's primitives belong to one loop
            self.loop, self.changed, self.queue = loop, asyncio.Condition(), asyncio.Lock()
            self.shared, self.alone, self.watcher, self.until = 0, False, None, 0.0
        return self.changed

    async def enter(self, owner: object, names: list[bytes]) -> bool:
        """Wait until ``owner`` may send these commands; whether it runs alone."""
        changed = self._fresh()
        alone = b"MULTI" in names
        async with changed:
            if b"WATCH" in names and self.watcher is not owner:
                await changed.wait_for(lambda: self.watcher is None)
                self.watcher = owner
            if alone:
                await changed.wait_for(
                    lambda: not self.alone and not self.shared and self.watcher in (None, owner)
                )
                self.alone = True
            else:
                await changed.wait_for(lambda: not self.alone)
                self.shared += 1
        return alone

    async def leave(self, owner: object, names: list[bytes], alone: bool) -> None:
        """The request is answered (or failed): let the others go."""
        async with self.changed:
            if alone:
                self.alone = False
            else:
                self.shared -= 1
            if self.watcher is owner and WATCH_ENDS.intersection(names):
                self.watcher = None
            self.changed.notify_all()

    def forget(self, owner: object) -> None:
        """A closed connection holds no WATCH any more."""
        if self.loop is not None and self.watcher is owner:
            self.watcher = None
            self.loop.create_task(self._notify())

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()


@dataclass
class Endpoint:
    """How RESP bodies reach ``/api/v1/resp``, and who watches them go."""

    post: Post | None = None
    apost: AsyncPost | None = None
    on_send: Callable[[list[list[bytes]]], None] | None = None  # the commands of a request
    on_wait: Callable[[float], None] | None = None  # seconds waited for the rate limit
    sleep: Callable[[float], None] = time.sleep
    max_wait: float = 20.0
    requests: int = field(default=0, init=False)
    gate: Gate = field(default_factory=Gate, init=False)

    def exchange(self, body: bytes) -> bytes:
        """POST ``body`` (synchronously); the RESP answer, or SandboxError."""
        if self.post is None:
            raise SandboxError(0, "this interpreter has no synchronous HTTP: use redis.asyncio")
        self._sent(body)
        waited = 0.0
        while True:
            reply = self.post(body)
            pause = self._pause(reply, waited)
            if pause is None:
                return checked(reply)
            self.sleep(pause)
            waited += pause

    async def aexchange(self, body: bytes, owner: object = None) -> bytes:
        """POST ``body`` asynchronously once the gate lets ``owner`` (its connection) go."""
        names = [command[0].upper() for command in split_commands(body)]
        alone = await self.gate.enter(owner, names)
        try:
            return await self._aexchange(body)
        finally:
            await self.gate.leave(owner, names, alone)

    async def _aexchange(self, body: bytes) -> bytes:
        """Send; once rate-limited, requests queue and go again in turn (first come, first
        served), so a coroutine is not starved by others polling (a lock's holder must
        be able to release it)."""
        if self.apost is None:
            raise SandboxError(0, "this interpreter has no asynchronous HTTP")
        self._sent(body)
        gate, loop = self.gate, asyncio.get_running_loop()
        started = loop.time()
        if loop.time() >= gate.until:
            reply = await self.apost(body)
            if reply.status != 429:
                return checked(reply)
            gate.until = max(gate.until, loop.time() + self._retry_after(reply))
        async with gate.queue:
            while True:
                delay = gate.until - loop.time()
                if delay > 0:
                    if loop.time() + delay - started > self.max_wait:
                        raise SandboxError(429, RATE_LIMITED.format(self.max_wait))
                    if self.on_wait is not None:
                        self.on_wait(delay)
                    await asyncio.sleep(delay)
                reply = await self.apost(body)
                if reply.status != 429:
                    return checked(reply)
                gate.until = loop.time() + self._retry_after(reply)

    @staticmethod
    def _retry_after(reply: HTTPReply) -> float:
        return max(0.05, min(reply.retry_after or 1.0, 5.0))

    def _sent(self, body: bytes) -> None:
        self.requests += 1
        if self.on_send is not None:
            self.on_send(split_commands(body))

    def _pause(self, reply: HTTPReply, waited: float) -> float | None:
        """How long to wait before sending a rate-limited request again; None: do not."""
        if reply.status != 429:
            return None
        pause = self._retry_after(reply)
        if waited + pause > self.max_wait:
            return None
        if self.on_wait is not None:
            self.on_wait(pause)
        return pause


def checked(reply: HTTPReply) -> bytes:
    """The body of a 200; SandboxError with the site's own message otherwise."""
    if reply.status == 200:
        return reply.body
    try:
        message = str(json.loads(reply.body)["error"])
    except (ValueError, KeyError, TypeError):
        message = reply.body[:200].decode("utf-8", "replace") or "no answer"
    hint = {
        0: "the site could not be reached",
        401: "your session is unknown or expired: reload the page",
        403: "the site refused this page's request: reload the page",
        429: "rate limited (the sandbox runs a few commands per second)",
        503: "Redis is unreachable right now",
    }.get(reply.status, "the sandbox refused the request")
    raise SandboxError(reply.status, f"{hint} (HTTP {reply.status}: {message})")


def split_commands(body: bytes) -> list[list[bytes]]:
    """The commands of a RESP request body (arrays of bulk strings), for the trace."""
    commands: list[list[bytes]] = []
    pos = 0
    while body[pos : pos + 1] == b"*":
        end = body.index(b"\r\n", pos)
        count, pos = int(body[pos + 1 : end]), end + 2
        args = []
        for _ in range(count):
            end = body.index(b"\r\n", pos)
            start = end + 2
            length = int(body[pos + 1 : end])
            args.append(body[start : start + length])
            pos = start + length + 2
        commands.append(args)
    return commands
