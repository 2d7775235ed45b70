"""Every path that runs Redis for a learner is metered and bounded.

Issue 8 measured on d9807e8: the exercise-check fragment ran 253 ``LRANGE``/s for a
learner whose bucket was empty (no rate limit, no CSRF); 500 ``WATCH`` lines grew
one session field to 11 MB, reloaded on every request (PING went from 21 to 210 ms);
``DBSIZE``/``KEYS``/``SCAN`` cost one Redis command per key (20 x DBSIZE over 1,000
keys was 20,001 commands). Each is checked here over HTTP, counting the commands
Redis really ran (INFO commandstats on the test's own server).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.abuse.live_site import Browser, live_app
from tests.abuse.measure import calls, calls_since, run_lines
from tests.conftest import ApiSession
from tests.support.redis_servers import RedisServer
from tryredis.settings import Settings

BURST = 5
LESSON, EXERCISE = "lists", "recent-pages"  # its check is LRANGE recent:pages 0 -1
CHECKS = [f"/lesson/{LESSON}/exercises/{EXERCISE}/check", f"/lesson/{LESSON}/exercises/check"]


@pytest.fixture(scope="module")
def site(server: RedisServer) -> Iterator[str]:
    """The site with a bucket of BURST commands that never refills during a test."""
    with live_app(server, rate_per_second=0.001, rate_burst=BURST) as (url, _app):
        yield url


def started(site: str) -> Browser:
    """A learner on the lesson page who pressed Start on the exercise (its setup is empty)."""
    browser = Browser(site, f"/lesson/{LESSON}")
    response = browser.request("POST", f"/lesson/{LESSON}/exercises/{EXERCISE}/start")
    assert response.status_code == 200, response.text
    return browser


def test_exercise_checks_pay_the_bucket_and_keep_the_csrf_rule(
    site: str, server: RedisServer
) -> None:
    browser = started(site)
    before = calls(server)
    for path in CHECKS:  # with tokens left, each check runs its LRANGE
        assert browser.request("POST", path).status_code == 200
    assert calls_since(server, before).get("lrange") == 2
    while browser.request("POST", "/api/v1/run", json={"line": "PING"}).status_code == 200:
        pass  # empty the bucket
    before = calls(server)
    for _ in range(50):
        for path in CHECKS:
            response = browser.request("POST", path)
            assert response.status_code == 429, response.text
            assert "Slow down" in response.text
    ran = calls_since(server, before)
    print("100 checks on an empty bucket ran:", ran)
    assert "lrange" not in ran
    # A fresh learner, bucket full, but without the page's CSRF header: 403, nothing runs.
    other = started(site)
    before = calls(server)
    for path in CHECKS:
        response = other.http.post(path, headers={"origin": site})
        assert response.status_code == 403, response.text
    assert "lrange" not in calls_since(server, before)
    browser.close()
    other.close()


def test_labs_help_and_the_keys_panel_pay_the_bucket(site: str, server: RedisServer) -> None:
    browser = Browser(site)
    while browser.request("POST", "/api/v1/run", json={"line": "PING"}).status_code == 200:
        pass
    before = calls(server)
    help_line = browser.request("POST", "/api/v1/run", json={"line": "help SET"})
    assert help_line.status_code == 429
    lab = browser.request("POST", "/lab/cache-aside/fetch", json={"repo": "redis/redis"})
    assert lab.status_code == 429, lab.text
    for path in ("/repl/keys", "/repl/complete?prefix=a", "/repl/key?key=a"):
        assert browser.request("GET", path).status_code == 429, path
    ran = calls_since(server, before)
    print("help, a lab and the keys panel on an empty bucket ran:", ran)
    assert not {"get", "set", "hgetall", "lrange", "scan", "type"} & set(ran)
    browser.close()


def ping_ms(learner: ApiSession, count: int = 30) -> float:
    """The median time of ``count`` PINGs through the API, in ms."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        assert learner.out("PING") == "PONG"
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def test_watch_is_bounded_and_the_session_stays_small(
    module_client: TestClient, server: RedisServer
) -> None:
    limit = Settings().watch_max_keys
    learner = ApiSession.open(module_client)
    before = ping_ms(learner)
    results = run_lines(learner, [f"WATCH k{n}" for n in range(500)])
    assert [r["output"] for r in results[:limit]] == ["OK"] * limit
    assert all("TRYREDIS_WATCH_MAX_KEYS" in r["output"] for r in results[limit:])
    results = run_lines(learner, ["UNWATCH"] + [f"WATCH {n:03d}{'w' * 3997}" for n in range(500)])
    assert [r["output"] for r in results[:2]] == ["OK", "OK"]
    assert all("TRYREDIS_LINE_MAX_BYTES" in r["output"] for r in results[2:])
    session = f"tryredis:s:{{{learner.learner_id}}}"
    size = server.client().memory_usage(session, samples=0) or 0
    after = ping_ms(learner)
    print(f"session after 2 x 500 WATCH lines: {size:,} bytes; PING {before:.1f} -> {after:.1f} ms")
    assert size < 16_384  # 4 KB of watched names at most (TRYREDIS_LINE_MAX_BYTES), not 11 MB
    assert after < 2 * before + 2  # the 21 -> 210 ms is gone


def keyspace_costs(learner: ApiSession, server: RedisServer) -> dict[str, int]:
    """Redis commands run (Lua's calls included) by 20 x each keyspace command."""
    found = {}
    for line in LISTINGS:
        before = calls(server)
        results = run_lines(learner, [line] * 20)
        for result in results:  # 20 x KEYS * of 992 names passes the request's reply budget
            assert result["kind"] == "reply" or "REQUEST_REPLY_MAX" in result["output"], result
        ran = calls_since(server, before)
        found[line] = sum(n for name, n in ran.items() if name not in ("info", "hello"))
    return found


LISTINGS = ("DBSIZE", "KEYS *", "SCAN 0 COUNT 1000", "RANDOMKEY", "KEYS k1*")


def test_keyspace_commands_cost_one_round_trip_whatever_the_keys(
    module_client: TestClient, server: RedisServer
) -> None:
    one = ApiSession.open(module_client)
    assert one.out("SET k1 v") == "OK"
    learner = ApiSession.open(module_client)
    mset = [
        "MSET " + " ".join(f"k{line}:{n} v" for n in range(31)) for line in range(33)
    ]  # 1,023 keys: the last line is refused at the 1,000-key cap
    run_lines(learner, mset)
    assert learner.out("DBSIZE") == "(integer) 992"
    small, large = keyspace_costs(one, server), keyspace_costs(learner, server)
    for line in LISTINGS:
        print(f"20 x {line}: {small[line]} Redis commands over 1 key, {large[line]} over 992")
        # The same few commands per line (the rate limit, one index script, the journal),
        # whatever the number of keys: not one per key (20,001 for 20 x DBSIZE on d9807e8).
        assert large[line] <= small[line] + 2
        assert large[line] < 20 * 10
