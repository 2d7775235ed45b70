"""Reply amplification: a request's replies are bounded before their bytes exist.

Issue 8 measured on d9807e8: ``SETRANGE k 65535 "\\x00"``, then one request of 20
lines of ``MGET`` with 63 x ``k``: a 413 MB answer, 12.7 s and 1.19 GB of worker
memory. Emulated ``KEYS``/``SCAN`` answered from the key index had the same hole
(20 x ``KEYS *`` over a full sandbox: an 18 MB answer). Over real HTTP, with the
default limits, each is refused before it runs or is formatted.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator

import pytest

from tests.abuse.live_site import Browser, LoopLag, live_app
from tests.support.redis_servers import RedisServer
from tryredis.settings import Settings

REPLY_MAX = Settings().reply_max_bytes
REQUEST_MAX = Settings().request_reply_max_bytes
LAG = LoopLag()


@pytest.fixture(scope="module")
def site(server: RedisServer) -> Iterator[str]:
    with live_app(server, lag=LAG) as (url, _app):
        yield url


def measured(browser: Browser, lines: list[str]) -> tuple[list[dict[str, str]], int, float, int]:
    """Run ``lines`` in one request: results, response bytes, seconds, worker memory peak."""
    tracemalloc.start()
    LAG.reset()
    try:
        start = time.perf_counter()
        response = browser.request("POST", "/api/v1/run", json={"lines": lines})
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 200, response.text
    return response.json()["results"], len(response.content), seconds, peak


def test_twenty_mgets_of_a_64_kib_string_are_refused_before_they_run(
    site: str, server: RedisServer
) -> None:
    browser = Browser(site)
    assert browser.execute("SETRANGE", "k", "65535", b"\x00") == {"type": "integer", "value": 65536}
    line = "MGET " + " ".join(["k"] * 63)  # 63 x 64 KiB = 4.1 MB per line, 82.6 MB in all
    server.client().config_resetstat()
    results, size, seconds, peak = measured(browser, [line] * 20)
    print(f"20 x MGET: {size:,} bytes answered in {seconds * 1000:.0f} ms, "
          f"worker peak {peak:,} bytes, loop held {LAG.worst * 1000:.1f} ms")  # fmt: skip
    for result in results:
        assert result["kind"] == "refused", result
        assert "TRYREDIS_REPLY_MAX_BYTES" in result["output"]
    # Nothing ran: Redis never built the replies.
    stats = server.client().info("commandstats")
    assert "cmdstat_mget" not in stats
    assert size < 20 * 1024
    assert peak < REQUEST_MAX  # the worker never held even one request's worth of reply
    assert seconds < 2.0  # the old answer took 12.7 s; 2 s is a bound for a busy machine
    browser.close()


def test_keys_replies_count_against_the_reply_limits(site: str) -> None:
    browser = Browser(site)
    # Fill the sandbox (1 MiB, counted exactly) with long names: ~900 KB of them.
    name = 0
    while browser.run(f"SET {name:03d}{'a' * 3897} v") == "OK":
        name += 1
    assert name > 200
    _, _, _, peak_one = measured(browser, ["KEYS *"])
    results, size, seconds, peak = measured(browser, ["KEYS *"] * 20)
    print(f"20 x KEYS * over {name} names: {size:,} bytes answered in {seconds * 1000:.0f} ms, "
          f"worker peak {peak:,} bytes (one line: {peak_one:,}), "
          f"loop held {LAG.worst * 1000:.1f} ms")  # fmt: skip
    assert {r["kind"] for r in results} == {"refused"}
    assert "TRYREDIS_REPLY_MAX_BYTES" in results[0]["output"]
    assert size < 20 * 1024
    # Reading the index of a full sandbox costs the worker a few MB per line, let go
    # after it (the garbage collector may keep one or two more a moment): 20 lines
    # hold a small multiple of what one did, never 20 x.
    assert peak < 4 * peak_one, (peak, peak_one)
    # A reply within both limits is answered, and the request's budget is spent by it.
    results, size, _, _ = measured(browser, ["SCAN 0 COUNT 100"] * 20)
    answered = [r for r in results if r["kind"] == "reply"]
    assert 1 <= len(answered) < 20, [r["output"][:80] for r in results]
    assert "TRYREDIS_REQUEST_REPLY_MAX_BYTES" in results[len(answered)]["output"]
    print(f"20 x SCAN 0 COUNT 100: {len(answered)} answered, {size:,} bytes")
    assert size < 2 * REQUEST_MAX  # the JSON text of at most 1 MiB of replies
    browser.close()
