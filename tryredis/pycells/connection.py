"""redis-py over HTTP: connections that carry commands to the learner's sandbox.

A code cell's redis-py writes RESP on what it thinks is a socket; here that socket
collects the bytes, POSTs them to ``/api/v1/resp`` (one request per command, or per
pipeline) and hands the RESP answer back to redis-py's own parser. The HTTP call is
pluggable (``Endpoint``): a synchronous XMLHttpRequest and ``fetch`` in the browser's
worker, an HTTP client under CPython in the tests.

``install(endpoint)`` makes every client built afterwards (``redis.Redis()``,
``redis.from_url(...)``, ``redis.asyncio``, ``BlockingConnectionPool`` ...) use these
connections, whatever host the URL names: in a code cell the sandbox is the only Redis.

What differs from a TCP connection, on purpose:
- RESP2 (the sandbox's protocol): ``protocol=3`` is refused, and replies have the
  Python shapes redis-py gives with RESP2 (the same as its default ones).
- No handshake: the page's session is the login, so AUTH/HELLO/CLIENT SETNAME/SETINFO
  are never sent; ``client_name`` stays local and ``db`` must be 0.
- No automatic retries: the sandbox may already have run a command (an INCR sent twice
  counts twice). A rate-limited request (HTTP 429: nothing ran) waits ``Retry-After``
  and is sent again, up to ``Endpoint.max_wait`` seconds in all; concurrent asyncio
  requests then queue and go in turn.
- The sandbox keeps one MULTI queue and one WATCH list per learner, not one per
  connection. So that concurrent coroutines behave as separate connections would,
  ``redis.asyncio`` requests pass a gate: a request with MULTI runs alone, and one
  connection at a time may hold a WATCH (from WATCH until EXEC, DISCARD or UNWATCH);
  the others wait their turn, as they would for a lock.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import redis
import redis.asyncio
import redis.asyncio.connection
import redis.connection
from redis._parsers import _AsyncRESP2Parser, _RESP2Parser
from redis.backoff import NoBackoff
from redis.retry import Retry

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


class _Gate:
    """Who may send what, among one endpoint's concurrent asyncio requests (see above)."""

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
    gate: _Gate = field(default_factory=_Gate, init=False)

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


class _HTTPSocket:
    """What the synchronous Connection writes to and reads from: sends are collected,
    and the first read after them POSTs them and returns the answer."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.outgoing = bytearray()
        self.incoming = bytearray()

    def sendall(self, data: bytes) -> None:
        """Collect a request's bytes (a pipeline writes several pieces)."""
        self.outgoing += data

    def recv(self, size: int) -> bytes:
        """Up to ``size`` bytes of the answer; POST what was sent first if needed."""
        if not self.incoming:
            if not self.outgoing:
                # Nothing was asked: "no data yet" (redis-py polls with a 0 timeout).
                raise TimeoutError("no reply is pending")
            body = bytes(self.outgoing)
            self.outgoing.clear()
            self.incoming += self.endpoint.exchange(body)
        chunk = bytes(self.incoming[:size])
        del self.incoming[:size]
        return chunk

    def settimeout(self, timeout: float | None) -> None:
        """Timeouts are the HTTP layer's."""

    def setsockopt(self, *args: Any) -> None:
        """No socket options over HTTP."""

    def shutdown(self, how: int) -> None:
        """Drop whatever was not sent or read."""
        self.close()

    def close(self) -> None:
        """Drop whatever was not sent or read."""
        self.outgoing.clear()
        self.incoming.clear()

    def getsockname(self) -> tuple[str, int]:
        """A stand-in address, for redis-py's error messages."""
        return ("sandbox", 0)

    getpeername = getsockname


class _HTTPWriter:
    """What the asyncio Connection writes to: ``drain()`` POSTs and feeds the reader."""

    def __init__(self, endpoint: Endpoint, reader: asyncio.StreamReader) -> None:
        self.endpoint = endpoint
        self.reader = reader
        self.outgoing = bytearray()
        self.closed = False

    def write(self, data: bytes) -> None:
        """Collect a request's bytes."""
        self.outgoing += data

    def writelines(self, data: Iterable[bytes]) -> None:
        """Collect a request's bytes (a pipeline writes several pieces)."""
        for piece in data:
            self.outgoing += piece

    async def drain(self) -> None:
        """Send what was written and make the answer readable."""
        if self.outgoing:
            body = bytes(self.outgoing)
            self.outgoing.clear()
            self.reader.feed_data(await self.endpoint.aexchange(body, self))

    def close(self) -> None:
        """Forget the connection (and any WATCH it held)."""
        self.closed = True
        self.outgoing.clear()
        self.endpoint.gate.forget(self)

    def is_closing(self) -> bool:
        """Whether ``close()`` was called."""
        return self.closed

    async def wait_closed(self) -> None:
        """Nothing to wait for over HTTP."""


_current = Endpoint()


def _check_protocol(protocol: object) -> None:
    if protocol not in (None, 2, "2"):
        raise redis.exceptions.ConnectionError(
            f"protocol={protocol!r}: the sandbox speaks RESP2; leave protocol unset or use 2"
        )


def _sandbox_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments a TCP connection took, made to fit an HTTP one."""
    _check_protocol(kwargs.get("protocol"))
    for name in ("path", "host", "port", "socket_keepalive", "socket_keepalive_options"):
        kwargs.pop(name, None)
    for name in [k for k in kwargs if k.startswith("ssl")]:
        kwargs.pop(name)
    kwargs["protocol"] = 2
    kwargs["retry"] = Retry(NoBackoff(), 0)  # the sandbox may have run it: never resend
    kwargs.pop("retry_on_error", None)
    kwargs.pop("retry_on_timeout", None)
    return kwargs


class SandboxConnection(redis.connection.Connection):
    """A redis-py connection to the learner's sandbox over HTTP (synchronous client)."""

    def __init__(self, endpoint: Endpoint | None = None, **kwargs: Any) -> None:
        kwargs = _sandbox_kwargs(kwargs)
        kwargs["parser_class"] = _RESP2Parser  # pure Python, as in Pyodide (no hiredis there)
        super().__init__(**kwargs)  # type: ignore[no-untyped-call]
        self.endpoint = endpoint or _current

    def _connect(self) -> Any:
        return _HTTPSocket(self.endpoint)

    def _host_error(self) -> str:
        return "your sandbox"

    def repr_pieces(self) -> list[tuple[str, Any]]:
        """What repr() shows."""
        return [("sandbox", "/api/v1/resp"), ("db", self.db)]

    def on_connect_check_health(self, check_health: bool = True) -> None:
        """No handshake: the page's session is the login (see the module's docstring)."""
        self._parser.on_connect(self)
        _check_db(int(self.db))


class AsyncSandboxConnection(redis.asyncio.connection.Connection):
    """A redis-py connection to the learner's sandbox over HTTP (``redis.asyncio``)."""

    def __init__(self, endpoint: Endpoint | None = None, **kwargs: Any) -> None:
        kwargs = _sandbox_kwargs(kwargs)
        kwargs["parser_class"] = _AsyncRESP2Parser  # pure Python, as in Pyodide
        super().__init__(**kwargs)
        self.endpoint = endpoint or _current

    async def _connect(self) -> None:
        reader = asyncio.StreamReader()
        self._reader = reader
        self._writer = _HTTPWriter(self.endpoint, reader)  # type: ignore[assignment]

    def _host_error(self) -> str:
        return "your sandbox"

    def repr_pieces(self) -> list[tuple[str, Any]]:
        """What repr() shows."""
        return [("sandbox", "/api/v1/resp"), ("db", self.db)]

    async def on_connect_check_health(self, check_health: bool = True) -> None:
        """No handshake: the page's session is the login (see the module's docstring)."""
        self._parser.on_connect(self)  # type: ignore[no-untyped-call]
        _check_db(int(self.db))


def _check_db(db: int) -> None:
    if db:
        raise redis.exceptions.ConnectionError(
            f"db={db}: the sandbox has one database, 0 (SELECT is not available)"
        )


_ORIGINAL_INITS: dict[type, Callable[..., None]] = {}


def _route(pool: type, connection: type) -> None:
    """Make ``pool`` (and its subclasses) build ``connection``s, whatever they were given."""
    original = _ORIGINAL_INITS.setdefault(pool, pool.__init__)  # type: ignore[misc]

    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if args:  # ConnectionPool(SomeConnection, ...)
            args = args[1:]
        kwargs["connection_class"] = connection
        _check_protocol(kwargs.get("protocol"))
        kwargs["protocol"] = 2  # the client picks its reply shapes by the pool's protocol
        original(self, *args, **kwargs)

    pool.__init__ = __init__  # type: ignore[misc]


def current() -> Endpoint:
    """The endpoint redis-py's connections use now."""
    return _current


def install(endpoint: Endpoint) -> None:
    """Route every redis-py client created from now on to the sandbox through ``endpoint``."""
    global _current
    _current = endpoint
    _route(redis.connection.ConnectionPool, SandboxConnection)
    _route(redis.asyncio.connection.ConnectionPool, AsyncSandboxConnection)


def uninstall() -> None:
    """Give redis-py its own connection pools back (tests do; the browser never needs to)."""
    global _current
    _current = Endpoint()
    for pool, original in _ORIGINAL_INITS.items():
        pool.__init__ = original  # type: ignore[misc]
    _ORIGINAL_INITS.clear()
