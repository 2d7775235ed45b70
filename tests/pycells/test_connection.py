"""redis-py over HTTP (tryredis/pycells/connection.py) against a real site and Redis.

The same connection classes run in the browser's worker; here the HTTP calls go
through httpx (tests/pycells/transport.py). Learner-style code: plain redis-py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import redis
import redis.asyncio

from tests.conftest import settings_for
from tests.pycells.transport import sandbox_clients
from tests.support.live import serving
from tests.support.redis_servers import RedisServer
from tryredis.app import create_app
from tryredis.pycells.connection import Endpoint, SandboxError, split_commands
from tryredis.pycells.trace import describe


@pytest.fixture
def sandbox(live_server: str) -> Iterator[Endpoint]:
    """A fresh sandbox; every redis-py client in the test reaches it over HTTP."""
    with sandbox_clients(live_server) as endpoint:
        sent: list[str] = []
        endpoint.on_send = lambda commands: sent.extend(describe(c) for c in commands)
        endpoint.sent = sent  # type: ignore[attr-defined]
        yield endpoint


def test_sync_client_as_in_lesson_11(sandbox: Endpoint) -> None:
    r = redis.from_url("redis://localhost:6379/0", decode_responses=True)
    assert r.ping() is True
    assert r.set("py:greeting", "Hello from Python", ex=60) is True
    assert r.get("py:greeting") == "Hello from Python"
    assert r.get("py:missing") is None
    assert r.hset("py:user:42", mapping={"name": "Ada", "visits": 0}) == 2
    assert r.hincrby("py:user:42", "visits", 1) == 1
    assert r.hgetall("py:user:42") == {"name": "Ada", "visits": "1"}
    assert 0 < r.ttl("py:greeting") <= 60
    assert sorted(r.keys("py:*")) == ["py:greeting", "py:user:42"]
    raw = redis.Redis()
    assert raw.get("py:greeting") == b"Hello from Python"
    raw.set("py:price", "€9.99")
    assert raw.get("py:price") == b"\xe2\x82\xac9.99"
    r.close()
    raw.close()


def test_pipelines_are_one_request(sandbox: Endpoint) -> None:
    r = redis.Redis(decode_responses=True, client_name="lesson11")
    before = sandbox.requests
    with r.pipeline() as pipe:
        pipe.lpush("py:recent", "event:1", "event:2", "event:3", "event:4")
        pipe.ltrim("py:recent", 0, 2)
        assert pipe.execute() == [4, True]
    with r.pipeline(transaction=False) as pipe:
        for i in range(5):
            pipe.set(f"py:item:{i}", i)
        assert pipe.execute() == [True] * 5
    assert sandbox.requests == before + 2
    assert "CLIENT" not in " ".join(sandbox.sent)  # type: ignore[attr-defined]  # no handshake
    assert sandbox.sent[:4] == [  # type: ignore[attr-defined]
        "MULTI",
        "LPUSH py:recent event:1 event:2 event:3 event:4",
        "LTRIM py:recent 0 2",
        "EXEC",
    ]


def test_errors_refusals_and_limits(sandbox: Endpoint) -> None:
    r = redis.Redis(decode_responses=True)
    r.set("py:name", "Ada")
    with pytest.raises(redis.ResponseError, match="value is not an integer"):
        r.incr("py:name")
    with pytest.raises(redis.ResponseError, match=r"^REFUSED CONFIG GET is not available"):
        r.config_get("*")
    with r.pipeline(transaction=False) as pipe:
        for _ in range(21):
            pipe.incr("py:n")
        with pytest.raises(SandboxError, match="at most 20 commands per request") as error:
            pipe.execute()
    assert error.value.status == 400
    assert r.get("py:n") is None  # nothing of the refused pipeline ran
    assert r.get("py:name") == "Ada"  # and the connection still works


def test_unsupported_connection_options(sandbox: Endpoint) -> None:
    with pytest.raises(redis.ConnectionError, match="the sandbox speaks RESP2"):
        redis.Redis(protocol=3)
    with pytest.raises(redis.ConnectionError, match="one database, 0"):
        redis.Redis(db=1).ping()


def test_asyncio_client(sandbox: Endpoint) -> None:
    async def main() -> None:
        r = redis.asyncio.from_url("redis://anywhere/0", decode_responses=True)
        await r.delete("py:hits")
        answers = await asyncio.gather(*(r.incr("py:hits") for _ in range(10)))
        assert sorted(answers) == list(range(1, 11))
        async with r.pipeline() as pipe:
            pipe.set("py:z", 1)
            pipe.get("py:z")
            assert await pipe.execute() == [True, "1"]
        keys = [key async for key in r.scan_iter(match="py:*", count=100)]
        assert sorted(keys) == ["py:hits", "py:z"]
        await r.aclose()

    asyncio.run(main())


def test_watch_and_retry(sandbox: Endpoint) -> None:
    """Lesson 11's withdrawals: WATCH, a read, MULTI/EXEC, WatchError, retry."""

    async def withdraw(r: redis.asyncio.Redis, account: str, amount: int) -> bool:
        async with r.pipeline() as pipe:
            while True:
                try:
                    await pipe.watch(account)
                    balance = int(await pipe.get(account) or 0)
                    if balance < amount:
                        await pipe.unwatch()  # type: ignore[no-untyped-call]
                        return False
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(account, balance - amount)
                    await pipe.execute()
                    return True
                except redis.WatchError:
                    continue

    async def main() -> None:
        r = redis.asyncio.Redis(decode_responses=True, max_connections=5)
        await r.set("py:balance", 30)
        results = await asyncio.gather(*(withdraw(r, "py:balance", 10) for _ in range(5)))
        assert results.count(True) == 3
        assert await r.get("py:balance") == "0"
        await r.aclose()

    asyncio.run(main())


def test_rate_limited_requests_wait_and_go_again(redis_server: RedisServer) -> None:
    settings = settings_for(redis_server, rate_per_second=20.0, rate_burst=4)
    with serving(create_app(settings)) as base, sandbox_clients(base) as endpoint:
        waits: list[float] = []
        endpoint.on_wait = waits.append
        r = redis.Redis()
        assert [r.incr("n") for _ in range(10)] == list(range(1, 11))
        assert waits and all(0 < w <= 5 for w in waits)
        endpoint.max_wait = 0

        def burst() -> None:
            for _ in range(10):
                r.incr("n")

        with pytest.raises(SandboxError, match="rate limited") as error:
            burst()
        assert error.value.status == 429


def test_split_commands_reads_what_redis_py_packs() -> None:
    connection = redis.Connection()  # type: ignore[no-untyped-call]
    commands = [("SET", "k", "a b"), ("GET", "k"), ("PING",)]
    body = b"".join(connection.pack_commands(commands))  # type: ignore[no-untyped-call]
    assert split_commands(body) == [[b"SET", b"k", b"a b"], [b"GET", b"k"], [b"PING"]]
    assert [describe(c) for c in split_commands(body)] == ['SET k "a b"', "GET k", "PING"]
