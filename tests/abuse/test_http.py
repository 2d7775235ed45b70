"""HTTP itself is bounded: slow or huge request heads, slow bodies, too many connections,
idle connections, and who may claim another client address.

The issue measured 200 connections dripping a byte a second staying open for 58 s
(no header timeout). Timeouts here are small settings and the tests wait for what the
server does (an answer, a close), never for a fixed time.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.abuse.live_site import live_app
from tests.support.redis_servers import RedisServer
from tryredis.httpserver import BODY_GRACE_SECONDS, uvicorn_options
from tryredis.settings import Settings

PATIENCE = 60.0
"""Longest any test waits for the server to act (a bound for a busy machine, not a timing)."""

SLOW = 0.5


def connect(url: str) -> socket.socket:
    """A raw TCP connection to the live site."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "", parts.port or 80), timeout=PATIENCE)
    return sock


def drip_until_closed(socks: list[socket.socket], byte: bytes = b"a") -> dict[int, bytes]:
    """Send ``byte`` on each open socket, wait for the server, again, until it closed them all.

    Returns what the server sent on each (by index) before closing.
    """
    received = {number: b"" for number in range(len(socks))}
    open_ = set(received)
    deadline = time.monotonic() + PATIENCE
    while open_ and time.monotonic() < deadline:
        for number in list(open_):
            try:
                socks[number].send(byte)
            except OSError:  # reset by the server: it is closed
                open_.discard(number)
        readable, _, _ = select.select([socks[n] for n in open_], [], [], 0.2)
        for sock in readable:
            number = socks.index(sock)
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            received[number] += data
            if not data:
                open_.discard(number)
    assert not open_, f"{len(open_)} of {len(socks)} connections still open after {PATIENCE} s"
    return received


@pytest.fixture(scope="module")
def protected(server: RedisServer) -> Iterator[str]:
    """The site as ``tryredis serve`` runs it, with small HTTP timeouts."""
    with live_app(
        server,
        protected=True,
        http_header_timeout_seconds=SLOW,
        http_body_timeout_seconds=SLOW,
        http_keep_alive_seconds=SLOW,
    ) as (url, _app):
        yield url


def test_slowloris_heads_are_answered_408_and_closed(protected: str) -> None:
    socks = [connect(protected) for _ in range(200)]
    try:
        for sock in socks:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Drip: ")
        # The site still answers others while they drip.
        assert httpx.get(f"{protected}/healthz").status_code == 200
        received = drip_until_closed(socks)
    finally:
        for sock in socks:
            sock.close()
    answers = {data.split(b"\r\n", 1)[0] for data in received.values()}
    assert answers <= {b"HTTP/1.1 408 Request Timeout", b""}, answers
    assert b"HTTP/1.1 408 Request Timeout" in answers


def test_a_connection_that_sends_nothing_is_closed(protected: str) -> None:
    with connect(protected) as sock:
        assert sock.recv(1024).startswith(b"HTTP/1.1 408 ")  # blocks until the server acts
        assert sock.recv(1024) == b""


def test_a_huge_head_is_431_and_closed(protected: str) -> None:
    with connect(protected) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        sent, answer = 0, b""
        try:
            while sent < 20_000_000:
                sock.sendall(b"X-Big: " + b"a" * 8000 + b"\r\n")
                sent += 8009
                if select.select([sock], [], [], 0)[0]:
                    break
            answer = sock.recv(1024)
        except OSError:  # reset: closed while our bytes were still on their way
            pass
    # The server stopped reading at the cap (64 KiB by default) and closed: the 20 MB never
    # all went out (what did fit in the sockets' buffers depends on the machine).
    assert sent < 20_000_000, sent
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431 "), answer


def test_a_slow_json_body_is_408_under_any_server(server: RedisServer) -> None:
    """The app's own body deadline, as under a bare ``uvicorn server:app``."""
    with live_app(server, http_body_timeout_seconds=SLOW) as (url, _app):
        token = httpx.post(f"{url}/api/v1/sessions").json()["token"]
        heads = [
            b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n",
            b"POST /api/v1/resp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + token.encode()
            + b"\r\nContent-Type: application/x-redis-resp\r\n",
        ]
        socks = [connect(url) for _ in heads]
        try:
            for sock, head in zip(socks, heads, strict=True):
                sock.sendall(head + b"Content-Length: 900\r\n\r\n ")
            received = drip_until_closed(socks, b" ")
        finally:
            for sock in socks:
                sock.close()
    for data in received.values():
        assert data.startswith(b"HTTP/1.1 408 "), data
        assert b"TRYREDIS_HTTP_BODY_TIMEOUT_SECONDS" in data


def test_a_body_nobody_reads_cannot_hold_the_connection(protected: str) -> None:
    with connect(protected) as sock:
        # Answered 401 at once (no cookie), without reading the body; then it drips.
        sock.sendall(b"POST /sandbox/reset HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
        received = drip_until_closed([sock])
    assert received[0].startswith(b"HTTP/1.1 401 "), received
    assert BODY_GRACE_SECONDS < PATIENCE


def test_idle_kept_alive_connections_are_closed(protected: str) -> None:
    with connect(protected) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):  # the answer, then the close
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 ")


def test_connections_over_the_cap_get_503(server: RedisServer) -> None:
    cap = 20
    with live_app(server, protected=True, http_max_connections=cap) as (url, _app):
        idle = [connect(url) for _ in range(cap + 5)]
        try:
            deadline = time.monotonic() + PATIENCE
            while (response := httpx.get(f"{url}/healthz")).status_code != 503:
                assert time.monotonic() < deadline, "never refused"
            assert response.text == "Service Unavailable"
        finally:
            for sock in idle:
                sock.close()
        deadline = time.monotonic() + PATIENCE
        while httpx.get(f"{url}/healthz").status_code != 200:
            assert time.monotonic() < deadline, "never served again"


def test_no_proxy_is_trusted_unless_configured(server: RedisServer) -> None:
    assert Settings().forwarded_allow_ips == ""
    assert uvicorn_options(Settings())["proxy_headers"] is False
    # One new sandbox per address: a client naming other addresses gets no more.
    server.client().delete("tryredis:ipnew:127.0.0.1")
    with live_app(server, protected=True, sessions_per_ip_hour=1) as (url, _app):
        codes = [
            httpx.post(f"{url}/api/v1/sessions", headers={"x-forwarded-for": f"203.0.113.{n}"})
            for n in (1, 2)
        ]
        assert [r.status_code for r in codes] == [201, 429]
    server.client().delete("tryredis:ipnew:127.0.0.1")
    # Behind a proxy on this machine: TRYREDIS_FORWARDED_ALLOW_IPS=127.0.0.1.
    with live_app(
        server, protected=True, sessions_per_ip_hour=1, forwarded_allow_ips="127.0.0.1"
    ) as (url, _app):
        codes = [
            httpx.post(f"{url}/api/v1/sessions", headers={"x-forwarded-for": f"203.0.113.{n}"})
            for n in (3, 4)
        ]
        assert [r.status_code for r in codes] == [201, 201]
