"""The HTTP server's own bounds: how long and how big a request may be before the app sees it.

uvicorn closes idle keep-alive connections and caps concurrent connections
(``limit_concurrency``: 503 beyond it), but it waits for a request's head and body
as long as a client likes, and keeps a head of any size: a client dripping one byte
a second holds its connection (and a slot under the cap) for good. Measured on
uvicorn 0.54: 200 such connections stayed open for as long as they dripped, and one
request head of 20 MB was read whole. ``HttpLimitsProtocol`` is uvicorn's httptools
protocol with three more bounds, all settings:

* the head (request line and headers) must be complete within
  ``TRYREDIS_HTTP_HEADER_TIMEOUT_SECONDS`` of its first byte (or of the connection
  opening): else 408 and the connection is closed;
* the head may be at most ``TRYREDIS_HTTP_HEADER_MAX_BYTES``: else 431 and closed;
* the body must be complete within ``TRYREDIS_HTTP_BODY_TIMEOUT_SECONDS`` (plus a
  short grace, so that the app's own 408 from ``read_body`` goes out first) of the
  head: else the connection is closed, also when the app answered without reading it.

``tryredis serve`` passes it to uvicorn (``uvicorn_options``); with ``uvicorn
server:app`` pass ``--http tryredis.httpserver:HttpLimitsProtocol`` (README).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tryredis.settings import Settings

BODY_GRACE_SECONDS = 2.0
"""The app answers a slow body with its own 408 first; the server closes it this much later."""


def _plain(status: bytes, text: bytes) -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"content-length: " + str(len(text)).encode() + b"\r\nconnection: close\r\n\r\n" + text
    )


HEAD_TOO_SLOW = _plain(b"408 Request Timeout", b"The request head did not arrive in time.")
HEAD_TOO_BIG = _plain(b"431 Request Header Fields Too Large", b"The request head is too large.")


@functools.cache
def _settings_from_env() -> Settings:
    # The workers of `tryredis serve` (and `uvicorn server:app`) read their settings here,
    # from the same environment as the app they serve.
    return Settings.from_env()


class _Timer:
    """One deadline of a connection: armed, disarmed, or fired once."""

    def __init__(self, loop: asyncio.AbstractEventLoop, seconds: float, fire: Callable[[], None]):
        self.loop, self.seconds, self.fire = loop, seconds, fire
        self.handle: asyncio.TimerHandle | None = None

    def arm(self) -> None:
        if self.handle is None:
            self.handle = self.loop.call_later(self.seconds, self._fired)

    def disarm(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None

    def _fired(self) -> None:
        self.handle = None
        self.fire()


class HttpLimitsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a head deadline, a head size cap and a body deadline."""

    settings: Settings | None = None
    """None: the settings from the environment (set by ``bound`` for a server in-process)."""

    @classmethod
    def bound(cls, settings: Settings) -> type[HttpLimitsProtocol]:
        """This protocol with the limits of ``settings`` (for uvicorn in this process)."""
        return type(cls.__name__, (cls,), {"settings": settings})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock for the first request's head."""
        super().connection_made(transport)
        settings = self.settings or _settings_from_env()
        self.head_max_bytes = settings.http_header_max_bytes
        self.head_bytes = 0
        self.head_pending = True
        self.head_timer = _Timer(self.loop, settings.http_header_timeout_seconds, self._head_late)
        body_seconds = settings.http_body_timeout_seconds + BODY_GRACE_SECONDS
        self.body_timer = _Timer(self.loop, body_seconds, self._body_late)
        self.head_timer.arm()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop both clocks."""
        self.head_timer.disarm()
        self.body_timer.disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Feed the parser; count the bytes of a head still incomplete after them."""
        super().data_received(data)
        if self.head_pending and not self.transport.is_closing():
            # A chunk that completed the head is not counted (it may hold body bytes),
            # so a head is at most the cap plus one read.
            self.head_bytes += len(data)
            if self.head_bytes > self.head_max_bytes:
                self._refuse(HEAD_TOO_BIG)

    def on_message_begin(self) -> None:
        """A new request's first byte: its head's clock starts (a kept-alive connection)."""
        super().on_message_begin()
        self.head_pending = True
        self.head_timer.arm()

    def on_headers_complete(self) -> None:
        """The head is in: its clock stops, the body's starts."""
        self.head_pending = False
        self.head_bytes = 0
        self.head_timer.disarm()
        self.body_timer.arm()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The body is in."""
        self.body_timer.disarm()
        super().on_message_complete()

    def _responding(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _refuse(self, answer: bytes) -> None:
        if not self._responding():  # never write into another request's response
            self.transport.write(answer)
        self.transport.close()

    def _head_late(self) -> None:
        if self.head_pending and not self.transport.is_closing():
            self._refuse(HEAD_TOO_SLOW)

    def _body_late(self) -> None:
        # The app has had the body timeout to answer 408 itself; close what is left.
        if not self.transport.is_closing():
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """What ``tryredis serve`` passes to ``uvicorn.run``: the HTTP bounds and trusted proxies."""
    return {
        "http": "tryredis.httpserver:HttpLimitsProtocol",
        "limit_concurrency": settings.http_max_connections,
        "timeout_keep_alive": settings.http_keep_alive_seconds,
        # No proxy is trusted unless TRYREDIS_FORWARDED_ALLOW_IPS names it: else any client
        # could pick its own address (rate limits) with X-Forwarded-For.
        "proxy_headers": bool(settings.forwarded_allow_ips),
        "forwarded_allow_ips": settings.forwarded_allow_ips or None,
    }
