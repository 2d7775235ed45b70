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
- No automatic retries (redis-py's are off), and rate limits and concurrent asyncio
  requests are the endpoint's: see ``tryredis.pycells.endpoint``, whose names this
  module re-exports.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable
from typing import Any

import redis
import redis.asyncio
import redis.asyncio.connection
import redis.connection
from redis._parsers import _AsyncRESP2Parser, _RESP2Parser
from redis.backoff import NoBackoff
from redis.retry import Retry

from tryredis.pycells.endpoint import (
    RESP_TYPE,
    AsyncPost,
    Endpoint,
    HTTPReply,
    Post,
    SandboxError,
    checked,
    split_commands,
)

__all__ = [
    "RESP_TYPE", "AsyncPost", "AsyncSandboxConnection", "Endpoint", "HTTPReply", "Post",
    "SandboxConnection", "SandboxError", "checked", "current", "install", "split_commands",
    "uninstall",
]  # fmt: skip


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
