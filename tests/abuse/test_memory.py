"""Memory: the sandbox quota counts real bytes, whatever the shape of the data.

Issue 8 measured on d9807e8: the 1 MiB quota was measured with sampled ``MEMORY
USAGE`` (5 elements), so a zset of 5 short members then 995 members of 4 KB,
``COPY``ed 11 times, used about 50 MB. Here every type gets that shape, then 11
COPYs, and the test measures what the sandbox really holds in Redis itself (as the
admin: ``MEMORY USAGE ... SAMPLES 0`` of every key under the learner's prefix).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.abuse.measure import run_lines, used_by
from tests.conftest import ApiSession
from tests.support.redis_servers import RedisServer
from tryredis.settings import Settings

QUOTA = Settings().sandbox_max_bytes
LONG = 4_000  # a 4 KB member: "ZADD z 6 <member>" stays under the 4096-byte line limit
SHORT, LONG_COUNT, COPIES = 5, 995, 11


def shape(kind: str) -> Iterator[str]:
    """The issue's shape for one type: 5 short elements, then 995 of 4 KB."""
    for i in range(SHORT + LONG_COUNT):
        member = f"m{i}" if i < SHORT else f"{i:04d}" + "x" * (LONG - 4)
        if kind == "zset":
            yield f"ZADD k {i} {member}"
        elif kind == "set":
            yield f"SADD k {member}"
        elif kind == "list":
            yield f"RPUSH k {member}"
        elif kind == "hash":
            yield f"HSET k f{i} {member}"
        elif kind == "stream":
            yield f"XADD k * f {member}"
        else:  # a string: short appends, then 4 KB appends up to the 64 KiB string cap,
            key = i // 16  # then the next key
            yield f"APPEND s{key} {member}"


def run_all(learner: ApiSession, lines: list[str]) -> dict[str, int]:
    """Run ``lines``; how many answered each kind (every refusal names its setting)."""
    kinds: dict[str, int] = {}
    for result in run_lines(learner, lines):
        kinds[result["kind"]] = kinds.get(result["kind"], 0) + 1
        if result["kind"] == "refused":
            assert "TRYREDIS_" in result["output"], result
    return kinds


@pytest.mark.parametrize("kind", ["zset", "set", "list", "hash", "stream", "string"])
def test_adversarial_shapes_stay_within_the_quota(
    module_client: TestClient, server: RedisServer, kind: str
) -> None:
    learner = ApiSession.open(module_client)
    filled = run_all(learner, list(shape(kind)))
    source = "s0" if kind == "string" else "k"
    copies = run_all(learner, [f"COPY {source} c{n}" for n in range(COPIES)])
    used, keys = used_by(server, learner.learner_id)
    print(f"{kind}: {filled} then COPY {copies}: {keys} keys, {used:,} bytes "
          f"({used / QUOTA:.1%} of the quota)")  # fmt: skip
    assert filled.get("reply", 0) > SHORT, "the shape got into the sandbox"
    assert filled.get("refused", 0) > 0, "the shape is bigger than the quota"
    assert used <= 1.1 * QUOTA
    # The index, which the quota reads, agrees with Redis to the byte.
    totals = server.client().hget(f"tryredis:u:{{{learner.learner_id}}}.t", "b")
    assert totals is not None and int(totals) == used
