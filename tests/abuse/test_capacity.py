"""Sandboxes together cannot fill Redis: admission, eviction, paused writes, headroom.

The issue's measurement on the old main: the quotas add up to more than the
embedded maxmemory, so 249 new sessions × 13 × ``SETRANGE k 65535 x`` filled
256 MB in 2.2 s; from then on every request (each writes rate-limit state) got a
503 and ``/healthz`` still said ok. Here the same flood runs against a Redis of
32 MB (the same arithmetic, smaller), as the embedded one is configured
(``noeviction``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
import redis.asyncio
from starlette.applications import Starlette

from tests.abuse.live_site import live_app
from tests.support.redis_servers import RedisServer, running_redis
from tryredis.capacity import MemoryGauge, Thresholds

MAXMEMORY = 32 * 2**20
FLOOD = [f"SETRANGE k{n} 65535 x" for n in range(13)]  # 13 × 64 KiB: within one quota


@pytest.fixture(scope="module")
def small_redis() -> Iterator[RedisServer]:
    with running_redis(["--maxmemory", str(MAXMEMORY), "--maxmemory-policy", "noeviction"]) as s:
        yield s


def used(server: RedisServer) -> int:
    return int(server.client().info("memory")["used_memory"])


def new_learner(url: str) -> httpx.Response:
    return httpx.post(f"{url}/api/v1/sessions", json={}, timeout=30)


def run(url: str, token: str, lines: list[str]) -> httpx.Response:
    return httpx.post(
        f"{url}/api/v1/run",
        json={"lines": lines},
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )


def health(url: str) -> dict[str, object]:
    answer: dict[str, object] = httpx.get(f"{url}/healthz").json()
    return answer


def wait_for_reading(app: Starlette) -> None:
    """Until the site's gauge has read memory again, after what was just written."""
    gauge = app.state.services.gauge
    seen = gauge.readings
    deadline = time.monotonic() + 10
    while gauge.readings < seen + 2:
        assert time.monotonic() < deadline, "the gauge never read memory"
        time.sleep(0.01)


def test_a_flood_of_new_sandboxes_cannot_fill_redis(small_redis: RedisServer) -> None:
    with live_app(small_redis) as (url, app):
        tokens: list[str] = []
        refused_at = None
        peak = 0
        for _ in range(200):
            made = new_learner(url)
            if made.status_code == 503:
                refused_at = len(tokens)
                break
            assert made.status_code == 201, made.text
            tokens.append(made.json()["token"])
            answer = run(url, tokens[-1], FLOOD)
            assert answer.status_code == 200, answer.text
            peak = max(peak, used(small_redis))
            wait_for_reading(app)
        assert refused_at is not None, "admission never closed"
        assert "full" in made.json()["error"] and made.headers["retry-after"] == "120"
        assert peak < 0.80 * MAXMEMORY, f"peak {peak} of {MAXMEMORY}"
        report = health(url)
        assert report["memory"]["state"] in ("full", "evicting")  # type: ignore[index]
        # The learners already in carry on, and the site's own keys keep working.
        for token in tokens[:3]:
            answer = run(url, token, ["PING", "GET k0", "DEL k1"])
            assert answer.status_code == 200
            outputs = [r["output"] for r in answer.json()["results"]]
            assert outputs[0] == "PONG" and outputs[1].endswith('x"'), outputs[:1]
            assert outputs[2] == "(integer) 1"
        assert httpx.get(f"{url}/").status_code == 200


def test_writes_pause_before_redis_is_full_and_reads_go_on(small_redis: RedisServer) -> None:
    # The write stage first (60%), admission late (90%): writes are refused first.
    with live_app(
        small_redis, admit_memory_percent=90, evict_memory_percent=90, write_memory_percent=60
    ) as (url, app):
        small_redis.client().flushall()
        token = new_learner(url).json()["token"]
        messages: list[str] = []
        state = ""
        for _ in range(60):
            other = new_learner(url)
            assert other.status_code == 201, other.text
            answer = run(url, other.json()["token"], FLOOD)
            messages = [r["output"] for r in answer.json()["results"]]
            state = health(url)["memory"]["state"]  # type: ignore[index]
            # Until a refusal and /healthz agree: a write refused because what was on its
            # way would pass the stage may fit again once the next reading (every 0.25 s)
            # has taken that in, and then "ok" is the truth.
            if any("nearly full" in m for m in messages) and state == "writes paused":
                break
            wait_for_reading(app)
        assert any("TRYREDIS_WRITE_MEMORY_PERCENT" in m for m in messages), messages
        assert used(small_redis) < 0.70 * MAXMEMORY
        assert state == "writes paused"
        # Reads and deletes still run. (Whether one more small write is refused depends on
        # where memory sits within one write of the stage: the flood above proved the stage.)
        reads = run(url, token, ["PING", "DBSIZE", "DEL nothing"]).json()["results"]
        assert [r["output"] for r in reads] == ["PONG", "(integer) 0", "(integer) 0"]


def test_under_pressure_the_janitor_evicts_the_longest_idle_first(
    small_redis: RedisServer,
) -> None:
    with live_app(
        small_redis, admit_memory_percent=60, evict_memory_percent=60, write_memory_percent=90
    ) as (url, app):
        small_redis.client().flushall()
        tokens = []
        while (made := new_learner(url)).status_code == 201:
            tokens.append(made.json()["token"])
            assert run(url, tokens[-1], FLOOD).status_code == 200
            wait_for_reading(app)
            assert len(tokens) < 200
        services = app.state.services
        ids = [services.signer.unsign("token", t) for t in tokens]
        admin = small_redis.client()
        # Make every sandbox look idle for an hour, the first ones longest.
        hour_ago = int(time.time()) - 3600
        admin.zadd("tryredis:sandboxes", {i: hour_ago + n for n, i in enumerate(ids)})
        deadline = time.monotonic() + 15
        while used(small_redis) > 0.60 * MAXMEMORY:
            assert time.monotonic() < deadline, "nothing was evicted"
            time.sleep(0.05)
        left = {i for i in ids if admin.exists(f"tryredis:s:{{{i}}}")}
        gone = [i for i in ids if i not in left]
        assert gone and left, (len(gone), len(left))
        assert gone == ids[: len(gone)], "the longest-idle went first"
        # An evicted learner's keys are all gone (the index saw every one).
        for learner in gone:
            assert not admin.keys(f"tryredis:u:{{{learner}}}*")
        assert new_learner(url).status_code == 201, "room again for new learners"


def test_healthz_says_writes_paused_while_a_refused_write_still_would_not_fit(
    small_redis: RedisServer,
) -> None:
    # Growth is refused on used memory plus what was admitted since the last reading, so
    # a write can be refused while the reading alone is below the stage: /healthz must
    # still say "writes paused", until a reading shows that write would fit again.
    async def scenario() -> list[str]:
        client = redis.asyncio.Redis.from_url(small_redis.url)
        try:
            gauge = MemoryGauge(client, Thresholds.from_percent(90, 90, 60))
            await gauge.read()
            room = int(0.60 * gauge.maximum) - gauge.used
            states: list[str] = [gauge.state]
            assert gauge.admit_growth(room - 2**20)  # on its way, not yet in a reading
            assert not gauge.admit_growth(2**21)  # would pass the stage with it
            states.append(gauge.state)
            await gauge.read()  # nothing was written: now it fits, so it is admitted
            states.append(gauge.state)
            assert not gauge.admit_growth(room + 2**20)  # does not fit, whatever is read
            await gauge.read()
            states.append(gauge.state)
            assert gauge.admit_growth(2**20)  # smaller writes still go on
            return states
        finally:
            await client.aclose()

    small_redis.client().flushall()
    states = asyncio.run(scenario())
    assert states == ["ok", "writes paused", "ok", "writes paused"]
