"""Bursts queue, they do not fail: pools wait for a free connection, then answer "busy".

One Redis connection per pool (``TRYREDIS_SANDBOX_POOL_SIZE=1``) makes every
request of a burst wait its turn; ``CLIENT PAUSE`` on the test's own Redis holds
the one connection long enough that a waiting request runs out of patience.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.abuse.live_site import live_app
from tests.support.redis_servers import RedisServer


def token(url: str, address: str) -> str:
    made = httpx.post(f"{url}/api/v1/sessions", json={}, headers={"x-forwarded-for": address})
    assert made.status_code == 201, made.text
    value: str = made.json()["token"]
    return value


def ping(url: str, bearer: str) -> httpx.Response:
    return httpx.post(
        f"{url}/api/v1/run",
        json={"line": "PING"},
        headers={"authorization": f"Bearer {bearer}"},
        timeout=30,
    )


def test_a_burst_waits_for_the_pool_and_every_request_succeeds(server: RedisServer) -> None:
    with live_app(server, sandbox_pool_size=1, pool_wait_seconds=10) as (url, _app):
        tokens = [token(url, f"192.0.2.{n}") for n in range(40)]
        with ThreadPoolExecutor(40) as pool:
            answers = list(pool.map(lambda bearer: ping(url, bearer), tokens))
        assert [a.status_code for a in answers] == [200] * 40
        assert {a.json()["results"][0]["output"] for a in answers} == {"PONG"}


def test_an_exhausted_pool_is_busy_retry_not_unreachable(server: RedisServer) -> None:
    with live_app(server, sandbox_pool_size=1, pool_wait_seconds=0.3) as (url, _app):
        first, second = token(url, "192.0.2.200"), token(url, "192.0.2.201")
        assert ping(url, first).status_code == 200  # the pool's one connection is open
        admin = server.client()
        admin.client_pause(1500, all=False)  # writes (the touch script) wait; CLIENT LIST not
        try:
            holder = threading.Thread(target=ping, args=(url, first))
            holder.start()
            deadline = time.monotonic() + 5
            # Wait until the holder's touch is the command the pause holds (flag b, blocked).
            while admin.info("clients")["blocked_clients"] < 1:
                assert time.monotonic() < deadline, "the holder's request never reached Redis"
                time.sleep(0.01)
            started = time.monotonic()
            answer = ping(url, second)
            waited = time.monotonic() - started
        finally:
            admin.client_unpause()
            holder.join(10)
        assert answer.status_code == 503
        assert "busy" in answer.json()["error"] and "unreachable" not in answer.json()["error"]
        assert answer.headers["retry-after"] == "1"
        assert waited >= 0.3, "the request waited for the pool before giving up"
        assert ping(url, second).status_code == 200, "served again once the connection is free"
