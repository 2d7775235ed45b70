"""Worker CPU: glob matching over long key names never holds the event loop.

Issue 8 measured on d9807e8: 254 keys with ~4 KB names, then one ``KEYS`` with a
pattern of nested ``[...]`` classes and ``*``: the worker froze for 36 s and every
other learner waited. Here the same sandbox runs that KEYS and SCAN MATCH over real
HTTP while another learner PINGs; the matching costs one step per byte of names,
yields to other requests, and is paid for from the attacker's rate limit.
"""

from __future__ import annotations

import itertools
import re
import statistics
import time
from collections.abc import Iterator

import pytest

from tests.abuse.live_site import Browser, LoopLag, Prober, live_app
from tests.support.redis_servers import RedisServer
from tryredis.settings import Settings

KEYS = 254
NAME_BYTES = 4_000  # "SET <name> v" stays under the 4096-byte line limit
QUOTA = 2 * 1_048_576  # 254 such keys take ~1.06 MB, counted exactly: over the default 1 MiB
EVIL = ("*[a-z[][^a]" * 10)[:128]  # nested classes between stars, at the pattern length cap
PATTERNS = [EVIL, ("*[[[[[[[[a]*" * 10)[:128], "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "0[0-4]*[a-z]"]
NAME = re.compile(r'"([^"]*)"')
REPLY_MAX = Settings().reply_max_bytes
LAG = LoopLag()


@pytest.fixture(scope="module")
def site(server: RedisServer) -> Iterator[str]:
    with live_app(server, sandbox_max_bytes=QUOTA, lag=LAG) as (url, _app):
        yield url


@pytest.fixture(scope="module")
def attacker(site: str) -> Iterator[Browser]:
    browser = Browser(site)
    names = [f"{i:03d}" + "a" * (NAME_BYTES - 3) for i in range(KEYS)]
    for name in names:
        assert browser.run(f"SET {name} v") == "OK"
    assert browser.run("DBSIZE") == f"(integer) {KEYS}"
    yield browser
    browser.close()


def test_patterns_over_long_names_cost_little_worker_time(
    attacker: Browser, server: RedisServer
) -> None:
    prefix = f"tryredis:u:{{{attacker.learner_id}}}:"
    for pattern, command in itertools.product(PATTERNS, ("KEYS {}", "SCAN 0 MATCH {} COUNT 1000")):
        line = command.format(pattern)
        LAG.reset()
        cpu, wall = time.process_time(), time.perf_counter()
        output = attacker.run(line)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        # The same keys Redis's own KEYS finds (the admin, over the learner's prefix), or,
        # when those are more than a reply may hold, a refusal before it is formatted.
        found = server.client(decode_responses=True).keys(prefix + pattern)
        expected = {str(k).removeprefix(prefix) for k in found}
        if sum(len(name) for name in expected) > REPLY_MAX:
            assert "TRYREDIS_REPLY_MAX_BYTES" in output, (line, output[:200])
        else:
            assert set(NAME.findall(output)) - {"0"} == expected, line
        print(f"{line[:24]!r} ({len(expected)} found): cpu {cpu * 1000:.0f} ms, "
              f"wall {wall * 1000:.0f} ms, loop held {LAG.worst * 1000:.1f} ms")  # fmt: skip
        # The whole process's CPU (the worker, and this test's own client) for one command
        # over 254 x 4 KB of names (~1 MB, one step a byte) is bounded, and paid for with
        # rate-limit tokens (one per 64 KiB of names); the old matcher took 36 s on the first
        # pattern. 1 s and 2 s are bounds for a busy 2-core machine, not measurements.
        assert cpu < 1.0 and wall < 2.0, (line, cpu, wall)
        # The worker yields every TRYREDIS_MATCH_CHUNK_BYTES of names (about a millisecond): the
        # event loop is never held for long: measured 2-5 ms; 50 ms (issue 8's bound for
        # event-loop lag) leaves room for this process's threads and a machine other
        # test runs share.
        assert LAG.worst < 0.05, (line, LAG.worst)


def test_other_learners_stay_fast_while_patterns_run(site: str, attacker: Browser) -> None:
    with Prober(site) as prober:
        baseline = prober.measure(50)  # before the attack (the prober thread waits its turn)
        before = len(prober.latencies)
        for _ in range(3):
            for pattern in PATTERNS:
                attacker.run(f"KEYS {pattern}")
                attacker.run(f"SCAN 0 MATCH {pattern} COUNT 1000")
        during = prober.latencies[before:]
    assert prober.failures == []
    assert len(during) >= 10, "the prober ran while the patterns were matched"
    base_p50, during_p50 = statistics.median(baseline), statistics.median(during)
    print(
        f"PING p50 {base_p50 * 1000:.1f} ms alone, {during_p50 * 1000:.1f} ms during; "
        f"max {max(baseline) * 1000:.1f} / {max(during) * 1000:.1f} ms over {len(during)}"
    )
    # A matching chunk holds the loop about a millisecond (TRYREDIS_MATCH_CHUNK_BYTES); each
    # of a PING's few awaits may wait behind one: its median stays within a small multiple
    # of the baseline's (plus 20 ms for this 2-core machine's threads, which share the GIL
    # with the server), and its worst within 0.25 s of the baseline's: not the 36 s of
    # d9807e8. Measured: p50 2.9 -> 9.7 ms, max 7.6 -> 23 ms on an idle machine.
    assert during_p50 < 5 * base_p50 + 0.02
    assert max(during) < max(baseline) + 0.25
